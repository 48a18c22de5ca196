import "reflect-metadata";

/** Unhandled rejections and uncaught exceptions seen since the last test ended. */
const escaped: unknown[] = [];
const record = (error: unknown) => escaped.push(error);

/**
 * Root hooks: any unhandled rejection or uncaught exception anywhere (library, adapter, test)
 * fails the test during which it happened.
 */
export const mochaHooks = {
  beforeAll(): void {
    process.on("unhandledRejection", record);
    process.on("uncaughtException", record);
  },
  afterEach(): void {
    if (escaped.length > 0) {
      const errors = escaped.splice(0);
      throw new Error(`unhandled during this test: ${errors.map(String).join("; ")}`);
    }
  },
  afterAll(): void {
    process.off("unhandledRejection", record);
    process.off("uncaughtException", record);
  },
};
