import { advance, duration } from "./sla";

const running = { state: "waiting", waitedSeconds: 200, targetSeconds: 300, nearSeconds: 240 };

it("advances a running clock from the server's figures: amber near the target, red past it", () => {
  expect(advance(running, 0)).toEqual({ state: "waiting", waited: 200 });
  expect(advance(running, 40.7)).toEqual({ state: "near", waited: 240 });
  expect(advance(running, 100)).toEqual({ state: "breached", waited: 300 });
  expect(advance(running, -5)).toEqual({ state: "waiting", waited: 200 }); // never backwards
});

it("leaves a stopped clock as the server gave it", () => {
  expect(advance({ ...running, state: "met", waitedSeconds: 90 }, 600)).toEqual({ state: "met", waited: 90 });
  expect(advance({ ...running, state: "missed", waitedSeconds: 400 }, 600)).toEqual({ state: "missed", waited: 400 });
});

it("formats waits as m:ss and h:mm:ss", () => {
  expect(duration(42)).toBe("0:42");
  expect(duration(300)).toBe("5:00");
  expect(duration(3725)).toBe("1:02:05");
});
