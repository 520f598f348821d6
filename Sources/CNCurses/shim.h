#ifndef ZINC_CNCURSES_SHIM_H
#define ZINC_CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <wchar.h>
#include <ncurses.h>

// Swift 6 rejects the mutable globals and function-like macros; small accessors instead.
static inline WINDOW *zinc_stdscr(void) { return stdscr; }
static inline int zinc_lines(void) { return getmaxy(stdscr); }
static inline int zinc_columns(void) { return getmaxx(stdscr); }
static inline int zinc_color_pair(int pair) { return COLOR_PAIR(pair); }
static inline int zinc_wcwidth(unsigned int scalar) { return wcwidth((wchar_t)scalar); }
static inline int zinc_read_key(int *is_function_key, unsigned int *key) {
    wint_t value = 0;
    int result = wget_wch(stdscr, &value);
    *is_function_key = (result == KEY_CODE_YES);
    *key = (unsigned int)value;
    return result == ERR ? -1 : 0;
}
// The key code ncurses assigned to an extended terminfo capability such as "kEND5"
// (Ctrl-End), or 0 if this terminal has none.
static inline int zinc_extended_key(const char *capability) {
    char *sequence = tigetstr(capability);
    if (sequence == NULL || sequence == (char *)-1) return 0;
    int code = key_defined(sequence);
    return code > 0 ? code : 0;
}
#endif
