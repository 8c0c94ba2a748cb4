/**
 * The commands' implementations, each loaded only when its command runs: `validate` never loads SSH, Docker or
 * SQLite, `get` loads the state store and nothing of the hosts, `--help` loads none of them. main.ts declares the
 * commands (names, options, help) and calls into these; the bundle (controller/cli/bundle.mjs) makes each a chunk.
 */
export const commands = {
  validate: () => import('./validate.js'),
  schemaDocs: () => import('./schema-docs.js'),
  status: () => import('./status.js'),
  oneshot: () => import('./oneshot.js'),
  run: () => import('./run.js'),
  askController: () => import('./ask-controller.js'),
  importHost: () => import('./import-host.js'),
  importCompose: () => import('./import-compose.js'),
};
