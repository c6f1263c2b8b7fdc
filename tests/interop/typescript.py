"""TypeScript clients generated from the spec type the emulator's real answers, unknown enum
values included.

    python tests/interop/typescript.py openapi-typescript ANSWERS.json DIR
    python tests/interop/typescript.py typescript-fetch ANSWERS.json DIR

ANSWERS.json is `unknown_enums.py dump`'s output: each answer as the emulator sent it and with
every open enum's value replaced by one no enum knows (`NECTAR_ADDED_...`).

`openapi-typescript` writes DIR/answers.ts, which declares every answer, both forms, as a
constant typed by `components["schemas"][...]` from DIR/schema.d.ts (openapi-typescript's
output): `tsc --strict` must accept it for the spec, and refuse it for the closed spec (the
control: without open enums the new values are not assignable).

`typescript-fetch` writes DIR/decode.ts beside openapi-generator's client in DIR: it decodes
each changed answer with the client's `<Component>FromJSON`, writes it back with `ToJSON` and
prints how many new values were kept (all must be), and types one new value as
`Connection["status"]` (which the closed client must refuse at compile time). Both files also
check that a number is *not* a `Connection["status"]` (`@ts-expect-error`): an empty interface
`{}`, what openapi-generator made of the earlier `anyOf` form, would accept it.
"""

import json
import os
import sys


def load(path):
    return json.load(open(path))


def openapi_typescript(answers_path, out_dir):
    rows = load(answers_path)
    lines = [
        'import type { components } from "./schema";',
        'type S = components["schemas"];',
        "",
        "// The open enum is a type, not `{}` or `unknown`: a number is not a status.",
        "// @ts-expect-error",
        'export const notAStatus: S["Connection"]["status"] = 42;',
        "",
    ]
    for n, row in enumerate(rows):
        component = row["component"]
        for form in ("answer", "changed"):
            lines.append(
                f'export const {form}{n}: S["{component}"] = {json.dumps(row[form])};'
            )
    open(os.path.join(out_dir, "answers.ts"), "w").write("\n".join(lines) + "\n")
    print(f"{len(rows) * 2} answers typed in {out_dir}/answers.ts")


def typescript_fetch(answers_path, out_dir):
    rows = load(answers_path)
    data = json.dumps([{"component": r["component"], "changed": r["changed"],
                        "replaced": r["replaced"]} for r in rows])
    program = f"""import * as models from "./models";

// Compile-time: a value Nectar adds is a `Connection["status"]` (the closed client refuses it).
export const added: models.Connection["status"] = "NECTAR_ADDED_SUSPENDED";
// ... and a type, not `{{}}` (what an `anyOf` form gave): a number is not a status.
// @ts-expect-error
export const notAStatus: models.Connection["status"] = 42;

const rows: {{ component: string; changed: unknown; replaced: number }}[] = {data};
let problems = 0;
for (const row of rows) {{
    const fromJson = (models as any)[row.component + "FromJSON"];
    const toJson = (models as any)[row.component + "ToJSON"];
    const back = JSON.stringify(toJson(fromJson(row.changed)));
    const kept = (back.match(/NECTAR_ADDED_/g) || []).length;
    const verdict = kept === row.replaced ? "" : " (LOST SOME)";
    if (verdict) problems += 1;
    console.log(`${{row.component.padEnd(15)}} typescript-fetch: decoded, ${{kept}} of ${{row.replaced}} new values kept${{verdict}}`);
}}
console.log(`${{problems}} problems`);
if (problems) throw new Error("values lost");
"""
    open(os.path.join(out_dir, "decode.ts"), "w").write(program)
    print(f"{len(rows)} answers to decode in {out_dir}/decode.ts")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    kind, answers_path, out_dir = sys.argv[1:4]
    {"openapi-typescript": openapi_typescript, "typescript-fetch": typescript_fetch}[kind](
        answers_path, out_dir
    )


if __name__ == "__main__":
    main()
