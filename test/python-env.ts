/**
 * What environment a sample service's Python code reads, found by reading its source (no Python needed):
 * the service folder's modules (tests excluded) and the shared `common` package modules they import.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The shared package of services/, which a service imports as `common`. */
export const SHARED_PACKAGE = "common";

export interface EnvReads {
  /** Every variable name the code reads. */
  names: Set<string>;
  /** Names read as `os.environ["NAME"]`: without them the code raises KeyError. */
  required: Set<string>;
}

const isTest = (file: string) => /(^|\/)(tests?|__pycache__)\//.test(file) || /(^|\/)(test_[^/]*|[^/]*_test|conftest)\.py$/.test(file);

/** The `.py` files under `dir` that are not tests, relative paths sorted. */
function pythonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .map((f) => f.split(path.sep).join("/"))
    .filter((f) => f.endsWith(".py") && !isTest(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The modules of the shared package a source imports: `import common.x`, `from common.x import y`, `from . import y` inside it. */
function sharedImports(source: string, inShared: string | undefined): string[][] {
  const modules: string[][] = [];
  const absolute = new RegExp(
    `^[ \\t]*(?:from[ \\t]+${SHARED_PACKAGE}((?:\\.\\w+)*)[ \\t]+import[ \\t]+(\\([^)]*\\)|[^\\n#]+)|import[ \\t]+${SHARED_PACKAGE}((?:\\.\\w+)*))`,
    "gm",
  );
  for (const m of source.matchAll(absolute)) {
    const base = (m[1] ?? m[3] ?? "").split(".").filter(Boolean);
    modules.push(base, ...names(m[2]).map((n) => [...base, n]));
  }
  if (inShared !== undefined) {
    for (const m of source.matchAll(/^[ \t]*from[ \t]+\.((?:\w+)?(?:\.\w+)*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)/gm)) {
      const base = [...inShared.split("/").filter(Boolean), ...m[1].split(".").filter(Boolean)];
      modules.push(base, ...names(m[2]).map((n) => [...base, n]));
    }
  }
  return modules;
}

const names = (list: string | undefined): string[] =>
  (list ?? "")
    .replace(/[()]/g, "")
    .split(",")
    .map((n) => n.trim().split(/\s+/)[0])
    .filter((n) => /^\w+$/.test(n));

/** The files a module path of the shared package may be (a module may also be a name inside one: then none). */
function moduleFiles(sharedDir: string, parts: string[]): string[] {
  const packages = parts.map((_, i) => path.join(sharedDir, ...parts.slice(0, i), "__init__.py"));
  const candidates = [path.join(sharedDir, ...parts) + ".py", path.join(sharedDir, ...parts, "__init__.py")];
  return [...packages, ...candidates].filter((f) => fs.existsSync(f) && !isTest(path.relative(sharedDir, f)));
}

/** The service's own modules and, transitively, the shared modules they import. */
export function serviceSources(servicesRoot: string, dir: string): string[] {
  const sharedDir = path.join(servicesRoot, SHARED_PACKAGE);
  const own = dir === SHARED_PACKAGE ? [] : pythonFiles(path.join(servicesRoot, dir));
  const seen = new Set<string>(own);
  const queue = [...own];
  while (queue.length) {
    const file = queue.shift()!;
    const rel = path.relative(sharedDir, path.dirname(file));
    const inShared = rel.startsWith("..") ? undefined : rel;
    for (const parts of sharedImports(fs.readFileSync(file, "utf8"), inShared)) {
      for (const f of moduleFiles(sharedDir, parts)) {
        if (!seen.has(f)) {
          seen.add(f);
          queue.push(f);
        }
      }
    }
  }
  return [...seen];
}

/**
 * The variables a source reads: literal names in `os.environ.get(…)`, `os.getenv(…)` and `os.environ[…]`
 * (assignments aside), and every quoted `*_BUCKET` or `*_URL` name, which a helper may read for it.
 */
export function envReads(sources: string[]): EnvReads {
  const reads: EnvReads = { names: new Set(), required: new Set() };
  for (const source of sources) {
    const code = source.replace(/^[ \t]*#.*$/gm, "");
    for (const m of code.matchAll(/(?:\bos\.)?\b(?:environ\.get|getenv)\(\s*(['"])([A-Za-z_]\w*)\1/g)) reads.names.add(m[2]);
    for (const m of code.matchAll(/\benviron\[\s*(['"])([A-Za-z_]\w*)\1\s*\](?!\s*=[^=])/g)) {
      reads.names.add(m[2]);
      reads.required.add(m[2]);
    }
    for (const m of code.matchAll(/(['"])([A-Z][A-Z0-9_]*_(?:BUCKET|URL))\1/g)) reads.names.add(m[2]);
  }
  return reads;
}

/** The folder under services/ whose code an image runs: its build context or its Dockerfile's folder. */
export function serviceDirOf(image: { build?: string; dockerfile?: string }): string | undefined {
  const norm = (p: string) => path.posix.normalize(p.split(path.sep).join("/")).replace(/^\.\//, "").replace(/\/$/, "");
  const fromDockerfile = image.dockerfile && /^services\/([^/]+)\/[^/]*Dockerfile[^/]*$/.exec(norm(image.dockerfile))?.[1];
  const fromBuild = image.build && /^services\/([^/]+)$/.exec(norm(image.build))?.[1];
  return fromDockerfile || (image.dockerfile ? undefined : fromBuild) || undefined;
}
