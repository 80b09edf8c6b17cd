/*
 * figures.c - what the PDF and HTML reports show the same way (render.h):
 * the key figures of an analysis and the ticks of a chart's axis.
 */
#include "render.h"

#include <math.h>
#include <stdio.h>

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *it = get(o, k);

	return cJSON_IsNumber(it) ? it->valuedouble : 0;
}

void rb_key_figures(const struct rb_report_data *d, struct rb_key_figures *k)
{
	static const char *const labels[RB_KEY_FIGURES_MAX] = { "rollbacks executed",
		"deployments", "rollback rate", "mean time to detect (MTTD)",
		"mean time to restore (MTTR)", "median approval latency",
		"complete evidence packages", "rollbacks with findings",
		"high or critical security impact", "failed execution attempts" };
	const cJSON *a = d->a;
	int i;

	for (i = 0; i < RB_KEY_FIGURES_MAX; i++)
		k->label[i] = labels[i];
	/* The tenth only when there were failed attempts (metrics-v1 §8.3). */
	k->n = num(a, "failed_executions") > 0 ? RB_KEY_FIGURES_MAX : RB_KEY_FIGURES_MAX - 1;
	snprintf(k->value[0], sizeof(k->value[0]), "%.0f", num(a, "rollbacks_executed"));
	snprintf(k->value[1], sizeof(k->value[1]), "%.0f", num(a, "deployments"));
	rb_fmt_pct(get(a, "rollback_rate"), k->value[2], sizeof(k->value[2]));
	rb_fmt_hours(get(get(a, "ttd"), "mean"), k->value[3], sizeof(k->value[3]));
	rb_fmt_hours(get(get(a, "ttr"), "mean"), k->value[4], sizeof(k->value[4]));
	rb_fmt_hours(get(get(a, "approval_latency"), "median"), k->value[5], sizeof(k->value[5]));
	rb_fmt_pct(get(a, "evidence_complete_ratio"), k->value[6], sizeof(k->value[6]));
	if (d->rollup != NULL)
		snprintf(k->value[7], sizeof(k->value[7]), "%d", d->rollup->with_findings);
	else
		snprintf(k->value[7], sizeof(k->value[7]), "n/a");
	snprintf(k->value[8], sizeof(k->value[8]), "%.0f",
		 num(get(a, "levels"), "high") + num(get(a, "levels"), "critical"));
	snprintf(k->value[9], sizeof(k->value[9]), "%.0f", num(a, "failed_executions"));
}

double rb_round_tick(double max, int counts)
{
	static const double steps[] = { 1, 2, 5, 10 };
	double base = pow(10, floor(log10(max / 5))), tick = 10 * base;
	size_t si;

	for (si = 0; si < 4; si++)
		if (max / (steps[si] * base) <= 5) {
			tick = steps[si] * base;
			break;
		}
	return counts && tick < 1 ? 1 : tick;
}
