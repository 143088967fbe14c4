import { GENESIS_FORK_VERSIONS } from "../../offchain/keys/bls";

/**
 * A real mainnet deposit, as staking-deposit-cli wrote it (public deposit_data JSON): hex without
 * 0x in the file, with 0x here. The roots are the CLI's, not ours.
 */
export const MAINNET_DEPOSIT_VECTOR = {
  pubkey: "0xa529622c7845262390888c7e907a53367877d683a28e94a96323c833701a061cd34aaa6ed82389f0690b3c063a67678b",
  withdrawalCredentials: "0x010000000000000000000000b1748c79709f4ba2dd82834b8c82d4a505003f27",
  amountGwei: 32_000_000_000n,
  signature:
    "0xb80cfb30ca6a7f3df09cfb8ce841140b39f0ef384b315a7294e294f7bfcb5407a3557b8e6668ce46a3278955157148461248d735efc00a3693ae6d662c3e7aa87585df48d1cbe043de304ac45e0f01193d0346e6914df3c173c3ae5fa89b03c6",
  depositMessageRoot: "0x9b282b14d9d7d4f534a8aedf1c951536d535cf181a521cc4a488490bb17d44c0",
  depositDataRoot: "0x6f88fb0dd4066bbfe051c28571755527ab4b409e50affdd8b7fdaecfe5975f65",
  forkVersion: GENESIS_FORK_VERSIONS.mainnet,
} as const;

/** compute_domain(DOMAIN_DEPOSIT, GENESIS_FORK_VERSION, Root()) as the networks' clients compute it. */
export const DEPOSIT_DOMAINS = {
  mainnet: "0x03000000f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9",
  hoodi: "0x03000000719103511efa4f1362ff2a50996cccf329cc84cb410c5e5c7d351d03",
} as const;
