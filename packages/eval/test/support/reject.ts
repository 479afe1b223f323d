import { expect } from 'chai';

/** Awaits a promise that must reject with `type` and a message matching `message`. */
export async function expectReject(p: Promise<unknown>, type: new (...args: never[]) => Error, message: RegExp) {
  let error: unknown;
  try {
    await p;
  } catch (err) {
    error = err;
  }
  expect(error, 'expected a rejection').to.be.instanceOf(type);
  expect((error as Error).message).to.match(message);
}
