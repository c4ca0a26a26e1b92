import { describe, expect, it } from "vitest";
import { findDuplicateKey } from "../src/find-duplicate-key.ts";

describe("findDuplicateKey", () => {
  it("finds none in JSON without repeated keys, whatever the strings hold", () => {
    const source = JSON.stringify({
      a: 'x","a":"y',
      b: ["a", { a: 1 }, { a: 2 }],
      c: { "\\": '\\"', d: [[{ a: 1 }], { a: 1 }] },
    });
    expect(findDuplicateKey(source)).toBeUndefined();
  });

  it("finds a repeated key at the top, in nested objects and inside arrays", () => {
    expect(findDuplicateKey('{"a":1,"b":2,"a":3}')).toEqual({ path: "", key: "a" });
    expect(findDuplicateKey('{"input":{"p":"x","q":{},"p":"y"}}')).toEqual({
      path: "input",
      key: "p",
    });
    expect(findDuplicateKey('{"r":[{"i":1},[0,{"i":1,"i":2}]]}')).toEqual({
      path: "r[1][1]",
      key: "i",
    });
  });

  it("compares keys after unescaping them", () => {
    expect(findDuplicateKey('{"k":1,"\\u006b":2}')).toEqual({ path: "", key: "k" });
    expect(findDuplicateKey('{"a\\"":1,"a\\u0022":2}')).toEqual({ path: "", key: 'a"' });
  });
});

describe("findDuplicateKey with the parsed value", () => {
  it("answers as without it, for texts with and without repeated keys", () => {
    const sources = [
      JSON.stringify({ a: 'x","a":"y', b: ["a", { a: 1 }, { a: 2 }], c: { "\\": '\\"' } }),
      '{"a":1,"b":2,"a":3}',
      '{"input":{"p":"x","q":{},"p":"y"}}',
      '{"r":[{"i":1},[0,{"i":1,"i":2}]]}',
      '{"k":1,"\\u006b":2}',
      ' { "a" : "b:" , "c" :\n{ "a" \t: ["\\"", ":"] }, "__proto__": 1, "x": "\\\\" } ',
      '{"__proto__":1,"__proto__":2}',
      '["a", "b", {"c": "d"}]',
      '"a:b"',
    ];
    for (const source of sources) {
      expect(findDuplicateKey(source, JSON.parse(source)), source).toEqual(
        findDuplicateKey(source),
      );
    }
  });
});
