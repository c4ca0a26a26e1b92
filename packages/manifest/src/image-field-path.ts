/** One step of a concrete image path: a property name or an array index. */
type PathStep = string | number;

const STEP_PATTERN = /([^.[\]]+)|\[(\d+)\]/g;

/** Paths already split: a model has a handful of image paths, and every line repeats them. */
const parsedPaths = new Map<string, readonly PathStep[]>();
const MAX_PARSED_PATHS = 1024;

/** Splits "reference_images[0].image" into ["reference_images", 0, "image"]. */
export function parseImageFieldPath(path: string): readonly PathStep[] {
  const known = parsedPaths.get(path);
  if (known !== undefined) return known;
  const steps: PathStep[] = [];
  for (const match of path.matchAll(STEP_PATTERN)) {
    if (match[2] !== undefined) steps.push(Number(match[2]));
    else if (match[1] !== undefined) steps.push(match[1]);
  }
  if (parsedPaths.size >= MAX_PARSED_PATHS) parsedPaths.clear();
  parsedPaths.set(path, steps);
  return steps;
}

/** Reads the value at a concrete path such as "reference_images[0].image"; `undefined` when absent. */
export function readImageField(input: unknown, path: string): unknown {
  let current: unknown = input;
  for (const step of parseImageFieldPath(path)) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

/**
 * Returns a copy of `input` with the value at `path` replaced, copying only the objects and
 * arrays along the path (everything else, such as other base64 strings, is shared).
 */
export function replaceImageField<T>(input: T, path: string, value: unknown): T {
  return replaceSteps(input, parseImageFieldPath(path), value) as T;
}

/**
 * Sets the value at `path` in `input` itself (which must hold a container at every step but the
 * last, as a path read by imageValuesOf does): for a body the caller parsed and owns.
 */
export function writeImageField(input: unknown, path: string, value: unknown): void {
  const steps = parseImageFieldPath(path);
  let container = input as Record<string | number, unknown>;
  for (let i = 0; i < steps.length - 1; i++) {
    container = container[steps[i] as string | number] as Record<string | number, unknown>;
  }
  container[steps[steps.length - 1] as string | number] = value;
}

function replaceSteps(container: unknown, steps: readonly PathStep[], value: unknown): unknown {
  const [step, ...rest] = steps;
  if (step === undefined) return value;
  if (Array.isArray(container) && typeof step === "number") {
    const copy = container.slice();
    copy[step] = replaceSteps(copy[step], rest, value);
    return copy;
  }
  if (container !== null && typeof container === "object" && typeof step === "string") {
    const copy: Record<string, unknown> = { ...(container as Record<string, unknown>) };
    copy[step] = replaceSteps(copy[step], rest, value);
    return copy;
  }
  throw new Error(`no field at "${steps.join(".")}" to replace`);
}
