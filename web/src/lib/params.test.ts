import { cell, columnsOf, parseParam, toParams } from "./params";

it("reads the parameter descriptions namedQueries gives", () => {
  expect(parseParam("limit: int")).toEqual({ name: "limit", kind: "int" });
  expect(parseParam("role: string")).toEqual({ name: "role", kind: "string" });
  expect(parseParam("ids: list")).toEqual({ name: "ids", kind: "list" });
});

it("sends only the filled parameters, typed", () => {
  const params = [parseParam("limit: int"), parseParam("role: string"), parseParam("ids: list")];
  expect(toParams(params, { limit: "5", role: "", ids: [] })).toEqual({ limit: 5 });
  expect(toParams(params, { role: "hr", ids: ["a"] })).toEqual({ role: "hr", ids: ["a"] });
});

it("makes columns from the rows and shows nested values as JSON", () => {
  expect(columnsOf([{ a: 1 }, { a: 2, b: [1] }])).toEqual(["a", "b"]);
  expect(columnsOf({})).toEqual([]);
  expect(cell([1, 2])).toBe("[1,2]");
  expect(cell(null)).toBe("");
});
