import { homeConfig, lanConfig, localTestConfig, wanConfig, type MembershipConfig } from '@dreammesh/protocols'

/** The membership config presets by name (see @dreammesh/protocols' config.ts for what each is for). */
export const CONFIG_PRESETS = { home: homeConfig, lan: lanConfig, wan: wanConfig, 'local-test': localTestConfig } as const
export type ConfigPresetName = keyof typeof CONFIG_PRESETS

/** A preset by name; an unknown name is an error that lists the known ones. */
export function presetConfig (name: ConfigPresetName): MembershipConfig {
  const preset = CONFIG_PRESETS[name]
  if (preset === undefined) throw new Error(`unknown config preset ${JSON.stringify(name)}; one of ${Object.keys(CONFIG_PRESETS).join(', ')}`)
  return preset()
}
