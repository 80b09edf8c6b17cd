/*
 * fonts.h - the PDF's text: which font shows each character, and in what
 * order (internal to report/).
 *
 * A font set holds the three DejaVu faces (regular, bold, mono) embedded in
 * one libharu document, and the fallback fonts found through fontconfig for
 * the characters DejaVu lacks (CJK, for one), loaded into the document the
 * first time a character needs them.  Only fonts with TrueType outlines are
 * taken: libharu 2.3 embeds no other.  A character no font has, and any
 * beyond U+FFFF (libharu's UTF-8 encoder stops at the BMP), is shown as a
 * placeholder naming its code point, "[U+1F600]".  A line holding
 * right-to-left text is shaped (Arabic joining, as presentation forms) and
 * put in visual order by FriBidi before it is measured or drawn.
 *
 * Text goes through rb_fonts_clean once (placeholders, controls as spaces),
 * then rb_fonts_width and rb_fonts_draw take cleaned lines.
 *
 * The set is owned by the caller (rb_fonts_close); it borrows the document,
 * which must outlive it.  libharu errors go to the document's handler.
 */
#ifndef RB_FONTS_H
#define RB_FONTS_H

#include <stddef.h>

#include <hpdf.h>

#include "lib/err.h"

typedef struct rb_fonts rb_fonts;

enum rb_face { RB_FACE_REG, RB_FACE_BOLD, RB_FACE_MONO };

/*
 * Load DejaVuSans.ttf, DejaVuSans-Bold.ttf and DejaVuSansMono.ttf from dir
 * into doc.  With fallback, fontconfig is asked for the characters they
 * lack.  RB_EX_CONFIG when a DejaVu font cannot be read.
 */
int rb_fonts_open(HPDF_Doc doc, const char *dir, int fallback, rb_fonts **out,
		  struct rb_err *e);
void rb_fonts_close(rb_fonts *fs);

/* The libharu font of a face (for callers that set it themselves). */
HPDF_Font rb_fonts_font(const rb_fonts *fs, enum rb_face face);

/*
 * in (UTF-8; NULL is "") as text every character of which some font shows:
 * a newline, tab or other control is a space, a byte that is not UTF-8 is
 * "[?]", a character no font has and a bidirectional formatting character
 * (U+202E and its kin, never obeyed) its placeholder.  Returns a string the
 * caller frees, or NULL when out of memory.
 */
char *rb_fonts_clean(rb_fonts *fs, enum rb_face face, const char *in);

/* The width of a cleaned line at size points, as drawn. */
double rb_fonts_width(rb_fonts *fs, HPDF_Page page, enum rb_face face, double size,
		      const char *line);

/* Draw a cleaned line with its left end at (x, y). */
void rb_fonts_draw(rb_fonts *fs, HPDF_Page page, enum rb_face face, double size, double x,
		   double y, const char *line);

/* Did any line hold right-to-left text (for the pack's note)? */
int rb_fonts_saw_rtl(const rb_fonts *fs);

#endif
