// Checks every object of rendered Kubernetes manifests (`kubectl kustomize` output, multi-document
// YAML) against its schema: the core and apps objects with kubernetes-models, KEDA's with
// @kubernetes-models/keda (versions pinned in the root package.json). Used by
// infra/test/container-test.sh, since `kubectl apply --dry-run` needs a cluster.
//   node infra/test/validate-k8s.mjs rendered.yaml...
// Exit 1 naming each object that fails, or a kind without a schema (nothing passes unchecked).
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

/** The module holding the model classes of an apiVersion ("v1", "apps/v1", "keda.sh/v1alpha1"). */
function modelModule(apiVersion) {
  if (apiVersion.startsWith("keda.sh/")) return `@kubernetes-models/keda/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

/** Validates one object; returns the error text, or undefined when it passes. */
async function validationError(object) {
  const { apiVersion, kind } = object ?? {};
  if (typeof apiVersion !== "string" || typeof kind !== "string") return "no apiVersion/kind";
  let models;
  try {
    models = await import(modelModule(apiVersion));
  } catch {
    return `no schema for apiVersion ${apiVersion}`;
  }
  const Model = models[kind];
  if (typeof Model !== "function") return `no schema for ${apiVersion} ${kind}`;
  try {
    new Model(object).validate();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

// The checker itself must be able to fail: a Deployment with a non-numeric replica count does.
const broken = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "x" },
  spec: { replicas: "two", selector: {}, template: {} },
};
if ((await validationError(broken)) === undefined) {
  console.error("validate-k8s: the schema check accepted a broken Deployment; it checks nothing");
  process.exit(1);
}

let checked = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (document.errors.length > 0) {
      console.error(`${file}: YAML error: ${document.errors[0].message}`);
      failed++;
      continue;
    }
    const object = document.toJS();
    if (object === null) continue;
    const error = await validationError(object);
    const name = `${file}: ${object.kind ?? "?"} ${object.metadata?.name ?? "?"}`;
    checked++;
    if (error !== undefined) {
      failed++;
      console.error(`${name}: ${error}`);
    }
  }
}
if (checked === 0) {
  console.error("validate-k8s: no object found");
  process.exit(1);
}
console.log(`validate-k8s: ${checked} objects checked, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
