/**
 * What the importer tells the user about a compose key: carried differently, left out, or left for them to do.
 * Every note names the service, the key and where it is in the compose file; render.ts prints them as comments.
 */
export type NoteKind =
  /** homeostat does it itself (NET_ADMIN, /dev/net/tun, the network mode, start order): nothing is lost. */
  | 'covered'
  /** The VpnSidecar spec has no place for it: the key is not in the output. */
  | 'notCarried'
  /** In the output, but the user must act before applying (create a secret file, replace a `${VAR}`). */
  | 'todo';

export interface ImportNote {
  kind: NoteKind;
  /** The compose service, or '' for a top-level key. */
  service: string;
  /** The compose key, with a sub-key where it helps (`environment.TZ`, `ports[2]`). */
  key: string;
  /** `LINE:COL` in the compose file. */
  at: string;
  text: string;
}

/** Collects notes for one service. */
export class NoteList {
  readonly notes: ImportNote[] = [];
  constructor(private readonly where: (path: ReadonlyArray<string | number>) => string) {}

  add(kind: NoteKind, service: string, path: ReadonlyArray<string | number>, text: string): void {
    const key = path.reduce<string>((text, step) => (typeof step === 'number' ? `${text}[${step}]` : text === '' ? step : `${text}.${step}`), '');
    this.notes.push({ kind, service, key, at: this.where(service === '' ? path : ['services', service, ...path]), text });
  }
}
