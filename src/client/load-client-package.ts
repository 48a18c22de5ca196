import { isModuleNotFound, missingPackageMessage } from "../core/missing-package.js";
import { RequestError } from "./request-error.js";

/**
 * Imports a transport's client package in Node. A missing one rejects with
 * `ERR_TRANSPORT_UNAVAILABLE` and the sentence the server gives for its own packages (what to
 * install), never a raw `ERR_MODULE_NOT_FOUND`. `load` is the import itself, written at the call
 * site so that bundlers still see the package's name.
 */
export async function loadClientPackage<T>(
  name: string,
  transport: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new RequestError(
      missingPackageMessage(name, transport),
      "ERR_TRANSPORT_UNAVAILABLE",
      undefined,
      { cause: error },
    );
  }
}
