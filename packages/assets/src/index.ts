export { assetPath } from "./asset-path.ts";
