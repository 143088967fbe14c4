export { PERMIT_TYPES, permitDomain, signPermit } from "../../scripts/lib/permit";
export type { PermitToken } from "../../scripts/lib/permit";
