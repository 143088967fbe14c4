import { expect } from "chai";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";

/** Runs a task with console.log captured; returns what it printed. */
export async function runTask(name: string, args: Record<string, unknown>): Promise<string> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...parts: unknown[]) => {
    lines.push(parts.map(String).join(" "));
  };
  try {
    await hre.run(name, args);
  } finally {
    console.log = original;
  }
  return lines.join("\n");
}

/** Runs a task that must fail; returns its one-line error message. */
export async function taskError(name: string, args: Record<string, unknown>): Promise<string> {
  let error: unknown;
  try {
    await runTask(name, args);
  } catch (e) {
    error = e;
  }
  expect(error, `${name} should have failed`).to.be.instanceOf(Error);
  expect(HardhatPluginError.isHardhatPluginError(error), String(error)).to.equal(true);
  const message = (error as Error).message;
  expect(message).to.not.include("\n");
  return message;
}
