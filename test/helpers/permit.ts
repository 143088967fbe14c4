export { permitDomain, signPermit } from "../../scripts/lib/permit";
export type { PermitToken } from "../../scripts/lib/permit";
