/* cmd_import.c - rbaudit import: rollback histories as events for seal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "opt.h"
#include "lib/ident.h"
#include "produce/import.h"

static const char import_synopsis[] =
	"usage: rbaudit import git REPO [--ref REF] --out FILE|- [options]\n"
	"       rbaudit import helm HISTORY.json... [--name RELEASE] --out FILE|- [options]\n"
	"       rbaudit import argocd APPLICATIONS.json... --out FILE|- [options]\n"
	"       rbaudit import gitlab DEPLOYMENTS.json... [--name PROJECT] --out FILE|- [options]\n"
	"       rbaudit import github DEPLOYMENTS.json STATUSES.json... [--name OWNER/REPO]\n"
	"                             --out FILE|- [options]\n"
	"       rbaudit import pagerduty INCIDENTS.json... --deployments EVENTS.jsonl...\n"
	"                             --out FILE|- [options]\n"
	"options: [--map MAP.json] [--since-state STATE.json] [--incidents INCIDENTS.json]...\n"
	"         [--json]\n";

static const char import_about[] =
	"Read a rollback history and write it as events that 'rbaudit seal' takes,\n"
	"one JSON object per line, sorted by time: the same input gives the same\n"
	"bytes.  git: through libgit2 (no git process; bare repositories too), a\n"
	"commit with a line \"This reverts commit <sha>\" naming a commit of the\n"
	"repository is a rollback of it; its trailers Reviewed-by, Approved-by and\n"
	"Acked-by are approvals; a reland (\"This is a reland of commit <sha>\", or\n"
	"a revert of the revert) closes it.  helm: `helm history -o json`, where\n"
	"Helm marks rollbacks (\"Rollback to N\").  argocd, gitlab, github: a\n"
	"deployment of a revision the target had before, other than the one just\n"
	"before it, is a rollback; GitLab approvals and rejections are kept; a\n"
	"GitHub deployment is done at its first success status.  pagerduty: each\n"
	"incident is linked to the latest deployment of its service within the\n"
	"map's window before it (--incidents does so for the deployments of\n"
	"another source, and names the incident in the rollback that followed).\n"
	"docs/IMPORT.md gives every mapping and the map file.  What cannot be\n"
	"mapped is counted by reason on standard error (and in --json), never\n"
	"dropped without a word.\n";

static const char import_tail[] =
	"With --since-state, the events an earlier import wrote are left out and\n"
	"the state is updated once the events are written: a monthly import writes\n"
	"only what is new, and importing again never writes an event twice.\n"
	"\n"
	"Exit status: 0 imported, 64 usage, 65 an input or state file that is not\n"
	"what it should be, 66 a missing input or not a repository, 73 the output\n"
	"cannot be created, 74 I/O error, 78 a bad map file.\n";

static void summary(const struct rb_import_result *r, int json)
{
	int i;

	if (json) {
		cJSON *o = cJSON_CreateObject(), *why = cJSON_CreateArray();
		char *s;

		cJSON_AddNumberToObject(o, "scanned", (double)r->scanned);
		cJSON_AddNumberToObject(o, "rollbacks", (double)r->rollbacks);
		cJSON_AddNumberToObject(o, "events", (double)r->events);
		cJSON_AddNumberToObject(o, "already_imported", (double)r->already);
		cJSON_AddNumberToObject(o, "unmapped", (double)r->unmapped);
		for (i = 0; i < r->nwhy; i++) {
			cJSON *w = cJSON_CreateObject();

			cJSON_AddStringToObject(w, "reason", r->why[i].reason);
			cJSON_AddNumberToObject(w, "count", (double)r->why[i].n);
			cJSON_AddItemToArray(why, w);
		}
		cJSON_AddItemToObject(o, "unmapped_by_reason", why);
		s = cJSON_Print(o);
		if (s != NULL)
			fprintf(stderr, "%s\n", s);
		cJSON_free(s);
		cJSON_Delete(o);
		return;
	}
	fprintf(stderr, "import: %lld %s scanned, %lld %s, %lld %s written, %lld already "
		"imported, %lld not mapped\n", r->scanned, rb_plural(r->scanned, "record", "records"),
		r->rollbacks, rb_plural(r->rollbacks, "rollback", "rollbacks"), r->events,
		rb_plural(r->events, "event", "events"), r->already, r->unmapped);
	for (i = 0; i < r->nwhy; i++)
		fprintf(stderr, "  not mapped (%lld): %s\n", r->why[i].n, r->why[i].reason);
}

static void progress(void *ctx, long long scanned)
{
	(void)ctx;
	fprintf(stderr, "\rimport: %lld %s read", scanned, rb_plural(scanned, "record", "records"));
}

static int is_source(const char *s)
{
	static const char *const v[] = { "git", "helm", "argocd", "gitlab", "github",
					 "pagerduty" };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strcmp(s, v[i]) == 0)
			return 1;
	return 0;
}

int cmd_import(int argc, char **argv, struct rb_err *e)
{
	struct rb_import_opts o;
	struct rb_import_result res;
	const char *ref = NULL, *out = NULL, *map = NULL, *state = NULL, *name = NULL;
	struct cli_strs inc = { { NULL }, 0 }, deps = { { NULL }, 0 };
	int json = 0, argi, rc;
	const struct cli_opt opts[] = {
		{ "ref", CLI_STR, &ref, "REF", "git: the commit to walk back from (default HEAD)",
		  0, 0, NULL },
		{ "name", CLI_STR, &name, "NAME", "helm: the release; gitlab: the project; github: "
		  "OWNER/REPO\n(default: the file's name; github: the deployments' repository)",
		  0, 0, NULL },
		{ "release", CLI_STR, &name, "RELEASE", "helm: the same as --name", 0, 0, NULL },
		{ "out", CLI_STR, &out, "FILE", "the events, replaced whole; - for standard output",
		  0, 0, NULL },
		{ "map", CLI_STR, &map, "MAP.json", "services, teams, environments, risk tier, "
		  "ticket patterns,\nemergency markers, bots, incident window (docs/IMPORT.md)",
		  0, 0, NULL },
		{ "since-state", CLI_STR, &state, "STATE.json", "what earlier imports wrote: read "
		  "if it exists, written after", 0, 0, NULL },
		{ "incidents", CLI_STRS, &inc, "INCIDENTS.json", "PagerDuty incidents to link to "
		  "these deployments (repeatable)", 0, 0, NULL },
		{ "deployments", CLI_STRS, &deps, "EVENTS.jsonl", "pagerduty: events files holding "
		  "the deployments (repeatable)", 0, 0, NULL },
		{ "json", CLI_FLAG, &json, NULL, "the summary as JSON on standard error", 0, 0,
		  NULL },
		{ NULL, 0, NULL, NULL, NULL, 0, 0, NULL }
	};
	const struct cli_cmd cmd = { "import", import_synopsis, import_about, opts, import_tail,
				     0 };

	if ((rc = cli_parse(&cmd, argc, argv, &argi, e)) != 0)
		return rc < 0 ? -1 : RB_EX_OK;
	if (argi >= argc)
		return cli_usage(e, "import", "name a source: %s", RB_IMPORT_SOURCES);
	if (!is_source(argv[argi]))
		return cli_usage(e, "import", "unknown source '%s' (%s)", argv[argi],
				 RB_IMPORT_SOURCES);
	if (strcmp(argv[argi], "git") == 0 && argc - argi != 2)
		return cli_usage(e, "import", "import git takes one repository");
	if (argc - argi < 2)
		return cli_usage(e, "import", "import %s takes one or more files", argv[argi]);
	if (out == NULL)
		return cli_usage(e, "import", "--out is required (- for standard output)");
	if (deps.n > 0 && strcmp(argv[argi], "pagerduty") != 0)
		return cli_usage(e, "import", "--deployments is for import pagerduty");
	if (inc.n > 0 && strcmp(argv[argi], "pagerduty") == 0)
		return cli_usage(e, "import", "import pagerduty reads incidents already: give "
				 "--deployments");
	memset(&o, 0, sizeof(o));
	o.source = argv[argi];
	o.inputs = (const char *const *)&argv[argi + 1];
	o.ninputs = (size_t)(argc - argi - 1);
	o.ref = ref;
	o.name = name;
	o.incidents = inc.v;
	o.nincidents = inc.n;
	o.deployments = deps.v;
	o.ndeployments = deps.n;
	o.map_path = map;
	o.state_path = state;
	o.out_path = out;
	if (cli_progress_wanted())
		o.progress = progress;
	rc = rb_import(&o, &res, e);
	if (o.progress != NULL)
		fprintf(stderr, "\r\033[K");
	if (rc != 0)
		return -1;
	summary(&res, json);
	return RB_EX_OK;
}
