export { UI_ASSETS, type UiAsset } from './assets.js';
