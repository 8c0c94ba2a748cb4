/**
 * Proxmox / LXC container configs, shared by LxcDevice and UnifiedNamespace, the one owner of every rule about
 * them: parse with the owning tool's semantics (pve-container's Config.pm, lxc.container.conf(5)), edit only the
 * main section keeping every other byte, read / compare-and-swap write through `Host` under pct's lock; the
 * `config-line` inventory, the one edit change and its crash-safe apply (record, write, forget), the removal of
 * a resource's lines on delete, and the container's lifecycle tools (state, start, restart, test inside).
 */
export { splitLines, joinLines, dominantEnding, type Line, type LineEnding } from './lines.js';
export { classifyLine, formatEntry, isRepeatableKey, type ConfigFlavor, type LineKind } from './syntax.js';
export {
  parseConfig,
  mainEntries,
  sectionEntries,
  sectionNames,
  mainValue,
  lockOf,
  mainLineTexts,
  type ConfigDocument,
  type ConfigEntry,
} from './document.js';
export { editMainSection, type LineEdit, type EditResult } from './edit.js';
export { parsePropertyString, formatPropertyString, indexedKey, firstFreeIndex, type PropertyMap } from './property-string.js';
export { parseMountEntry, formatMountEntry, containerPathOf, isBindMount, mountExposes, type MountEntry } from './mount-entry.js';
export {
  parseDeviceRule,
  formatDeviceRule,
  ruleAllows,
  CGROUP1_ALLOW_KEY,
  CGROUP2_ALLOW_KEY,
  type DeviceRule,
  type DeviceType,
} from './cgroup-rule.js';
export {
  configLocation,
  proxmoxConfigLocation,
  lxcConfigLocation,
  isProxmoxVmid,
  isLxcName,
  PVE_LXC_DIR,
  PVE_LOCK_DIR,
  DEFAULT_LXC_PATH,
  locationOfPath,
  type ConfigLocation,
} from './paths.js';
export {
  readConfig,
  writeConfig,
  assertEditable,
  sha256Hex,
  ConfigError,
  isConfigReadError,
  MAX_CONFIG_BYTES,
  LOCK_TIMEOUT_SECONDS,
  type ConfigSnapshot,
  type ConfigErrorReason,
  type ConfigReadReason,
} from './io.js';
export { updateConfig, type UpdateResult } from './update.js';
export { CONFIG_LINE, lineItem, lineOf, isLineItem, linesByPath, ownLinesIn, itemKey } from './inventory.js';
export { planConfigEdit, type EditConfigChange, type ConfigEditPlan } from './change.js';
export { applyConfigEdit, removeOwnLines, type ConfigEditContext, type RemovedLines } from './apply.js';
export { containerTools, type ContainerTools, type ContainerState, type ContainerFailureReason } from './container.js';
export { runningContainers, forgetRunningContainers, RUNNING_FACT_TTL_MS, PVE_CGROUP_DIR } from './running.js';
