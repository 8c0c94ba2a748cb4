/** Why a compose file cannot be imported: a code, the file and `LINE:COL`, and a message that names the field. */
export type ComposeImportErrorCode = 'NotYaml' | 'NotCompose' | 'NoGateway' | 'UnknownNetworkService' | 'Unsupported';

export class ComposeImportError extends Error {
  override readonly name = 'ComposeImportError';
  constructor(
    readonly code: ComposeImportErrorCode,
    readonly file: string,
    /** `LINE:COL` in `file`. */
    readonly at: string,
    readonly detail: string,
  ) {
    super(`${file}:${at}: ${detail}`);
  }
}
