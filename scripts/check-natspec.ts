/**
 * NatSpec gate: every external or public function, event and error that Tidepool declares (in
 * contracts/, test doubles excluded) must be documented — a `@notice` or `@dev`, a `@param` for each
 * named parameter, and (functions) a `@return` for each return value; public constants and state
 * variables need a `@notice`. Members inherited from OpenZeppelin keep OpenZeppelin's docs.
 * `@inheritdoc` counts: solc resolves it into the implementing contract's docs. Reads the docs solc
 * writes into each contract's metadata and the declarations from the AST, so it checks exactly what
 * was compiled.
 */
import hre from "hardhat";

interface DocEntry {
  notice?: string;
  details?: string;
  params?: Record<string, string>;
  returns?: Record<string, string>;
}
interface ContractDocs {
  userdoc: {
    methods?: Record<string, DocEntry>;
    events?: Record<string, DocEntry>;
    errors?: Record<string, DocEntry[]>;
  };
  devdoc: {
    methods?: Record<string, DocEntry>;
    events?: Record<string, DocEntry>;
    errors?: Record<string, DocEntry[]>;
  };
}
interface AbiParam {
  name: string;
  type: string;
  components?: AbiParam[];
}
interface AbiItem {
  type: string;
  name?: string;
  inputs?: AbiParam[];
  outputs?: AbiParam[];
}

function canonicalType(p: AbiParam): string {
  if (!p.type.startsWith("tuple")) return p.type;
  return `(${(p.components ?? []).map(canonicalType).join(",")})${p.type.slice("tuple".length)}`;
}
const signature = (item: AbiItem) => `${item.name}(${(item.inputs ?? []).map(canonicalType).join(",")})`;

interface AstNode {
  id?: number;
  nodeType?: string;
  name?: string;
  visibility?: string;
  stateVariable?: boolean;
  linearizedBaseContracts?: number[];
  nodes?: AstNode[];
}

/** Per contract id: its source and the names it declares (functions, events, errors, public variables). */
function declarations(sources: Record<string, { ast: AstNode }>) {
  const contracts = new Map<
    number,
    { source: string; name: string; bases: number[]; members: Set<string>; getters: Set<string> }
  >();
  for (const [source, { ast }] of Object.entries(sources)) {
    for (const node of ast.nodes ?? []) {
      if (node.nodeType !== "ContractDefinition" || node.id === undefined) continue;
      const members = new Set<string>();
      const getters = new Set<string>();
      for (const m of node.nodes ?? []) {
        if (!m.name) continue;
        if (["FunctionDefinition", "EventDefinition", "ErrorDefinition"].includes(m.nodeType ?? ""))
          members.add(m.name);
        if (m.nodeType === "VariableDeclaration" && m.stateVariable && m.visibility === "public") {
          members.add(m.name);
          getters.add(m.name);
        }
      }
      const bases = node.linearizedBaseContracts ?? [node.id];
      contracts.set(node.id, { source, name: node.name ?? "", bases, members, getters });
    }
  }
  return contracts;
}

const ours = (source: string) => source.startsWith("contracts/") && !source.startsWith("contracts/test/");

async function main(): Promise<void> {
  const names = (await hre.artifacts.getAllFullyQualifiedNames()).filter(
    (n) => n.startsWith("contracts/") && !n.startsWith("contracts/test/"),
  );
  const problems: string[] = [];
  for (const fqn of names.sort()) {
    const [source, contractName] = fqn.split(":");
    const buildInfo = await hre.artifacts.getBuildInfo(fqn);
    const output = buildInfo?.output.contracts[source]?.[contractName] as
      { abi: AbiItem[]; metadata?: string } | undefined;
    if (!buildInfo || !output?.metadata) continue;
    const docs = (JSON.parse(output.metadata) as { output: ContractDocs }).output;
    const decls = declarations(buildInfo.output.sources as unknown as Record<string, { ast: AstNode }>);
    const target = [...decls.values()].find((c) => c.source === source && c.name === contractName);
    // Members declared in Tidepool's own sources along the inheritance chain; the rest is OpenZeppelin's.
    // Members that also belong to an inherited standard interface (ERC-20, ERC-4626, EIP-2612, ...)
    // take their parameter docs from it: a description is enough.
    const declaredHere = new Set<string>();
    const standard = new Set<string>();
    const getters = new Set<string>();
    for (const id of target?.bases ?? []) {
      const base = decls.get(id);
      if (!base) continue;
      if (!ours(base.source)) {
        base.members.forEach((m) => standard.add(m));
        continue;
      }
      base.members.forEach((m) => declaredHere.add(m));
      base.getters.forEach((g) => getters.add(g));
    }
    for (const item of output.abi) {
      if (!["function", "event", "error"].includes(item.type)) continue;
      if (!item.name || !declaredHere.has(item.name)) continue;
      const sig = signature(item);
      const kind = item.type === "function" ? "methods" : item.type === "event" ? "events" : "errors";
      const pick = (d: ContractDocs["userdoc"]): DocEntry | undefined => {
        const entry = d[kind]?.[sig];
        return Array.isArray(entry) ? entry[0] : entry;
      };
      const user = pick(docs.userdoc);
      const dev = pick(docs.devdoc);
      const where = `${contractName}.${sig}`;
      if (!user?.notice && !dev?.details) {
        problems.push(`${where}: no @notice or @dev`);
        continue;
      }
      if (item.type === "error" || getters.has(item.name) || standard.has(item.name)) continue;
      for (const input of item.inputs ?? []) {
        if (input.name && !dev?.params?.[input.name]) problems.push(`${where}: no @param ${input.name}`);
      }
      const outputs = item.outputs ?? [];
      if (outputs.length > 0 && Object.keys(dev?.returns ?? {}).length < outputs.length) {
        problems.push(`${where}: ${outputs.length} return value(s), ${Object.keys(dev?.returns ?? {}).length} @return`);
      }
    }
  }
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    console.error(`\n${problems.length} NatSpec gap(s)`);
    process.exitCode = 1;
  } else {
    console.log(`NatSpec complete for ${names.length} contracts and interfaces.`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
