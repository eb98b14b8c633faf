/** Reading the `--config` file every command accepts: the user's path, not under --root, size-bounded. */
import type { Host } from '../host/index.js';

/** Config files are small; anything larger is refused before it is read. */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;

export async function readConfigFile(host: Host, configPath: string | undefined): Promise<string | undefined> {
  return configPath === undefined ? undefined : (await host.files.readUserFile(configPath, MAX_CONFIG_BYTES)).toString('utf8');
}
