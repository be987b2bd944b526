export { IcwsError } from "./errors";
