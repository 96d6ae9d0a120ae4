// Renders every formula given on stdin (a JSON list) with the shipped KaTeX, throwOnError on.
// Usage: node katex_check.js KATEX_MIN_JS MACROS_JSON < formulas.json ; prints failures as JSON.
const katex = require(process.argv[2]);
const macros = JSON.parse(process.argv[3]);
let input = "";
process.stdin.on("data", (c) => { input += c; });
process.stdin.on("end", () => {
  const failures = [];
  for (const tex of JSON.parse(input)) {
    try {
      katex.renderToString(tex, { displayMode: true, throwOnError: true, strict: "error",
                                  macros: Object.assign({}, macros) });
    } catch (e) { failures.push({ tex, error: String(e.message || e) }); }
  }
  process.stdout.write(JSON.stringify({ rendered: JSON.parse(input).length, failures }));
});
