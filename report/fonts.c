/* fonts.c - DejaVu, fallback fonts through fontconfig, FriBidi for right-to-left. */
#include "fonts.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fontconfig/fontconfig.h>
#include <fribidi.h>
#include <utf8proc.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_TRUETYPE_TABLES_H
#include FT_TRUETYPE_TAGS_H

#include "lib/json.h"

#define MAX_FONTS 12            /* the three DejaVu faces and the fallbacks */
#define NO_FONT (-1)
#define BMP 0x10000

struct font {
	HPDF_Font hf;
	FT_Face face;
	char file[512];
	int index;
};

struct rb_fonts {
	HPDF_Doc doc;
	FT_Library ft;
	struct font f[MAX_FONTS];
	int nf;
	int fallback;
	FcConfig *fc;
	unsigned char *none;    /* none[cp]: fontconfig has no font for cp */
	int saw_rtl;
};

/* ---- UTF-8 ---- */

/* Append cp to *buf (grown as needed), encoded by utf8proc: 0, or -1 out of memory. */
static int put_cp(char **buf, size_t *len, size_t *cap, uint32_t cp)
{
	if (*len + 5 > *cap) {
		size_t nc = *cap * 2 > *len + 64 ? *cap * 2 : *len + 64;
		char *nb = realloc(*buf, nc);

		if (nb == NULL)
			return -1;
		*buf = nb;
		*cap = nc;
	}
	*len += (size_t)utf8proc_encode_char((utf8proc_int32_t)cp,
					     (utf8proc_uint8_t *)*buf + *len);
	(*buf)[*len] = '\0';
	return 0;
}

static int put_str(char **buf, size_t *len, size_t *cap, const char *s)
{
	for (; *s; s++)
		if (put_cp(buf, len, cap, (unsigned char)*s) != 0)
			return -1;
	return 0;
}

/* ---- which font has a character ---- */

static int has(const struct font *f, uint32_t cp)
{
	return FT_Get_Char_Index(f->face, cp) != 0;
}

/* Does the face hold TrueType outlines (a glyf table), which libharu embeds? */
static int truetype(FT_Face face)
{
	FT_ULong len = 0;

	return FT_IS_SFNT(face) && FT_Load_Sfnt_Table(face, TTAG_glyf, 0, NULL, &len) == 0 &&
	       len > 0;
}

static int load(struct rb_fonts *fs, const char *file, int index)
{
	struct font *f = &fs->f[fs->nf];
	const char *name;
	size_t n = strlen(file);

	if (fs->nf == MAX_FONTS || n >= sizeof(f->file) ||
	    FT_New_Face(fs->ft, file, index, &f->face) != 0)
		return NO_FONT;
	if (!truetype(f->face)) {
		FT_Done_Face(f->face);
		f->face = NULL;
		return NO_FONT;
	}
	if (n > 4 && strcmp(file + n - 4, ".ttc") == 0)
		name = HPDF_LoadTTFontFromFile2(fs->doc, file, (HPDF_UINT)index, HPDF_TRUE);
	else
		name = HPDF_LoadTTFontFromFile(fs->doc, file, HPDF_TRUE);
	if (name == NULL || (f->hf = HPDF_GetFont(fs->doc, name, "UTF-8")) == NULL) {
		FT_Done_Face(f->face);
		f->face = NULL;
		return NO_FONT;
	}
	memcpy(f->file, file, n + 1);
	f->index = index;
	return fs->nf++;
}

/* One of fontconfig's fonts for cp, sorted by its preference; NO_FONT. */
static int ask_fontconfig(struct rb_fonts *fs, uint32_t cp)
{
	FcPattern *pat = NULL;
	FcCharSet *cs = NULL;
	FcFontSet *set = NULL;
	FcResult res;
	int i, k, got = NO_FONT;

	if (fs->fc == NULL && (fs->fc = FcInitLoadConfigAndFonts()) == NULL) {
		fs->fallback = 0;
		return NO_FONT;
	}
	if ((pat = FcNameParse((const FcChar8 *)"sans-serif")) == NULL ||
	    (cs = FcCharSetCreate()) == NULL || !FcCharSetAddChar(cs, cp) ||
	    !FcPatternAddCharSet(pat, FC_CHARSET, cs) ||
	    !FcConfigSubstitute(fs->fc, pat, FcMatchPattern))
		goto out;
	FcDefaultSubstitute(pat);
	set = FcFontSort(fs->fc, pat, FcFalse, NULL, &res);
	for (i = 0; set != NULL && i < set->nfont && got == NO_FONT; i++) {
		FcCharSet *fcs;
		FcChar8 *file, *fmt;
		int index = 0, dup = 0;

		if (FcPatternGetCharSet(set->fonts[i], FC_CHARSET, 0, &fcs) != FcResultMatch ||
		    !FcCharSetHasChar(fcs, cp) ||
		    FcPatternGetString(set->fonts[i], FC_FONTFORMAT, 0, &fmt) != FcResultMatch ||
		    strcmp((const char *)fmt, "TrueType") != 0 ||
		    FcPatternGetString(set->fonts[i], FC_FILE, 0, &file) != FcResultMatch)
			continue;
		FcPatternGetInteger(set->fonts[i], FC_INDEX, 0, &index);
		for (k = 0; k < fs->nf; k++)
			dup |= fs->f[k].index == index &&
			       strcmp(fs->f[k].file, (const char *)file) == 0;
		if (!dup)
			got = load(fs, (const char *)file, index);
	}
out:
	if (set != NULL)
		FcFontSetDestroy(set);
	if (cs != NULL)
		FcCharSetDestroy(cs);
	if (pat != NULL)
		FcPatternDestroy(pat);
	return got;
}

/* The font that shows cp in face: the face, regular DejaVu, a fallback. */
static int font_for(struct rb_fonts *fs, enum rb_face face, uint32_t cp)
{
	int i;

	if (cp >= BMP)
		return NO_FONT;
	if (cp < 0x80 || has(&fs->f[face], cp))
		return (int)face;
	if (has(&fs->f[RB_FACE_REG], cp))
		return RB_FACE_REG;
	for (i = RB_FACE_MONO + 1; i < fs->nf; i++)
		if (has(&fs->f[i], cp))
			return i;
	if (!fs->fallback || fs->none[cp])
		return NO_FONT;
	i = ask_fontconfig(fs, cp);
	if (i == NO_FONT)
		fs->none[cp] = 1;
	return i;
}

/* ---- the set ---- */

int rb_fonts_open(HPDF_Doc doc, const char *dir, int fallback, rb_fonts **out,
		  struct rb_err *e)
{
	static const char *const files[3] = { "DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
					      "DejaVuSansMono.ttf" };
	struct rb_fonts *fs = calloc(1, sizeof(*fs));
	char path[512];
	int i;

	*out = NULL;
	if (fs == NULL || (fs->none = calloc(BMP, 1)) == NULL) {
		free(fs);
		return RB_ERR(e, RB_EX_SOFTWARE, "out of memory");
	}
	fs->doc = doc;
	fs->fallback = fallback;
	if (FT_Init_FreeType(&fs->ft) != 0) {
		fs->ft = NULL;
		rb_fonts_close(fs);
		return RB_ERR(e, RB_EX_SOFTWARE, "FreeType: cannot start");
	}
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (load(fs, path, 0) != i) {
			rb_fonts_close(fs);
			return RB_ERR(e, RB_EX_CONFIG, "cannot load the font '%s' (Debian "
				      "package fonts-dejavu-core)", path);
		}
	}
	*out = fs;
	return 0;
}

void rb_fonts_close(rb_fonts *fs)
{
	if (fs == NULL)
		return;
	if (fs->ft != NULL)
		FT_Done_FreeType(fs->ft);       /* and the faces */
	if (fs->fc != NULL)
		FcConfigDestroy(fs->fc);
	free(fs->none);
	free(fs);
}

HPDF_Font rb_fonts_font(const rb_fonts *fs, enum rb_face face)
{
	return fs->f[face].hf;
}

int rb_fonts_saw_rtl(const rb_fonts *fs)
{
	return fs->saw_rtl;
}

static int placeholder(char **buf, size_t *len, size_t *cap, uint32_t cp)
{
	char ph[16];

	snprintf(ph, sizeof(ph), "[U+%04X]", (unsigned)cp);
	return put_str(buf, len, cap, ph);
}

/*
 * The bidirectional formatting characters (embeddings, overrides, isolates,
 * marks): shown as their code points, never obeyed, so that a name cannot
 * reorder the text after it ("invoice\u202Efdp.exe").
 */
static int bidi_control(uint32_t cp)
{
	return cp == 0x200e || cp == 0x200f || cp == 0x061c || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

char *rb_fonts_clean(rb_fonts *fs, enum rb_face face, const char *in)
{
	const char *s = in ? in : "";
	size_t left = strlen(s), len = 0, cap = 1;
	char *buf = calloc(1, 1);

	if (buf == NULL)
		return NULL;
	while (left > 0) {
		uint32_t cp;
		int n = rb_utf8_next(s, left, &cp), rc;

		if (n == 0) {
			rc = put_str(&buf, &len, &cap, "[?]");
			n = 1;
		} else if (cp < 0x20 || cp == 0x7f) {
			rc = put_cp(&buf, &len, &cap, ' ');
		} else if (bidi_control(cp) || font_for(fs, face, cp) == NO_FONT) {
			rc = placeholder(&buf, &len, &cap, cp);
		} else {
			rc = put_cp(&buf, &len, &cap, cp);
		}
		if (rc != 0) {
			free(buf);
			return NULL;
		}
		s += n;
		left -= (size_t)n;
	}
	return buf;
}

/* ---- lines: visual order, then runs of one font ---- */

static int rtl_char(uint32_t cp)
{
	return (cp >= 0x0590 && cp <= 0x08ff) || (cp >= 0xfb1d && cp <= 0xfdff) ||
	       (cp >= 0xfe70 && cp <= 0xfefc);
}

/*
 * line in visual order, shaped, when it holds right-to-left text: a new
 * string in *vis (the caller frees it), else *vis NULL.  -1: out of memory.
 */
static int visual(struct rb_fonts *fs, const char *line, char **vis)
{
	size_t left = strlen(line), n = 0, len = 0, cap = 0, i;
	FriBidiChar *u = NULL, *v = NULL;
	FriBidiParType base = FRIBIDI_PAR_LTR;
	const char *s = line;
	int rtl = 0, rc = -1;

	*vis = NULL;
	if ((u = malloc((left + 1) * sizeof(*u))) == NULL)
		return -1;
	while (left > 0) {
		uint32_t cp;
		int k = rb_utf8_next(s, left, &cp);

		if (k == 0) {
			cp = '?';
			k = 1;
		}
		rtl |= rtl_char(cp);
		u[n++] = cp;
		s += k;
		left -= (size_t)k;
	}
	if (!rtl) {
		rc = 0;
		goto out;
	}
	fs->saw_rtl = 1;
	if ((v = malloc((n + 1) * sizeof(*v))) == NULL ||
	    fribidi_log2vis(u, (FriBidiStrIndex)n, &base, v, NULL, NULL, NULL) == 0)
		goto out;
	if ((*vis = calloc(1, 1)) == NULL)
		goto out;
	cap = 1;
	for (i = 0; i < n; i++)
		if (v[i] != 0xfeff && v[i] != 0x200d && v[i] != 0x200c && /* dropped joiners */
		    put_cp(vis, &len, &cap, v[i] < BMP ? v[i] : '?') != 0) {
			free(*vis);
			*vis = NULL;
			goto out;
		}
	rc = 0;
out:
	free(u);
	free(v);
	return rc;
}

/* Calls run(font, text) for each stretch of line one font shows. */
static void each_run(struct rb_fonts *fs, enum rb_face face, const char *line,
		     void (*run)(void *, HPDF_Font, const char *), void *ctx)
{
	char *vis = NULL, *buf;
	const char *s;
	size_t left, o = 0;
	int cur = NO_FONT;

	if (visual(fs, line, &vis) != 0)
		return;
	s = vis != NULL ? vis : line;
	left = strlen(s);
	if ((buf = malloc(left * 4 + 16)) == NULL) {
		free(vis);
		return;
	}
	while (left > 0) {
		uint32_t cp;
		int k = rb_utf8_next(s, left, &cp), fi;

		if (k == 0) {
			cp = '?';
			k = 1;
		}
		fi = font_for(fs, face, cp);
		if (fi != cur && o > 0) {
			buf[o] = '\0';
			run(ctx, fs->f[cur == NO_FONT ? RB_FACE_REG : cur].hf, buf);
			o = 0;
		}
		cur = fi;
		if (fi == NO_FONT) {
			/* A shaped form no font has: its code point. */
			o += (size_t)snprintf(buf + o, 16, "[U+%04X]", (unsigned)cp);
		} else {
			memcpy(buf + o, s, (size_t)k);
			o += (size_t)k;
		}
		s += k;
		left -= (size_t)k;
	}
	if (o > 0) {
		buf[o] = '\0';
		run(ctx, fs->f[cur == NO_FONT ? RB_FACE_REG : cur].hf, buf);
	}
	free(buf);
	free(vis);
}

struct pen {
	HPDF_Page page;
	double size, x, y;
	int draw;
};

static void pen_run(void *vc, HPDF_Font f, const char *text)
{
	struct pen *p = vc;

	HPDF_Page_SetFontAndSize(p->page, f, (HPDF_REAL)p->size);
	if (p->draw)
		HPDF_Page_TextOut(p->page, (HPDF_REAL)p->x, (HPDF_REAL)p->y, text);
	p->x += HPDF_Page_TextWidth(p->page, text);
}

double rb_fonts_width(rb_fonts *fs, HPDF_Page page, enum rb_face face, double size,
		      const char *line)
{
	struct pen p = { page, size, 0, 0, 0 };

	each_run(fs, face, line, pen_run, &p);
	return p.x;
}

void rb_fonts_draw(rb_fonts *fs, HPDF_Page page, enum rb_face face, double size, double x,
		   double y, const char *line)
{
	struct pen p = { page, size, x, y, 1 };

	HPDF_Page_BeginText(page);
	each_run(fs, face, line, pen_run, &p);
	HPDF_Page_EndText(page);
}
