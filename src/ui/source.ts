/**
 * Tags the browser files these modules hold: their text is served exactly as written here,
 * backslashes included (String.raw), so `'\n'` or a regex reaches the browser unchanged. The
 * one thing such a file cannot hold is a backtick or a `${` placeholder.
 */
export const source = String.raw;
