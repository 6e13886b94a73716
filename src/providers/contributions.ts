/** Command ids and other contribution names, in one typed place (see package.json). */
export const Commands = {
  runFile: 'socketLab.runFile',
} as const;

/** The language id of `.sock` scratch files. */
export const SOCK_LANGUAGE = 'sock';
