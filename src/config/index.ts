export {
  type Config,
  ConfigError,
  ConfigSchema,
  type LogLevel,
  loadConfig,
  loadConfigWithSources,
  type SettingSource,
} from './config.js';
export { httpTimeouts } from './http-timeouts.js';
export { describeSetting, isSecretSetting, maskCredentials, summarizeConfig } from './summary.js';
