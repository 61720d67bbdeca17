/** @file Vitest setup file: registers graft's matchers (listed in vitest.config.ts `setupFiles`). */
import { expect } from "vitest";
import { graftMatchers } from "./matchers.js";

expect.extend(graftMatchers);
