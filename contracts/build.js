#!/usr/bin/env node
// Compile every Solidity file under contracts/src/ with the pinned solcjs and
// write one JSON artifact per contract into mlmarket/contracts/artifacts/.
//
// Usage (from anywhere):
//   node contracts/build.js              # write into mlmarket/contracts/artifacts/
//   node contracts/build.js --out DIR    # write into DIR instead (freshness test)
//
// The compiler runs in-process through require('solc'): no child process, so
// no pipe truncation and no solcjs CLI chatter on stdout. See README.md for the
// artifact format and the definition of sourcesHash.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const CONTRACTS_DIR = __dirname;
const REPO_DIR = path.resolve(CONTRACTS_DIR, '..');
const SRC_DIR = path.join(CONTRACTS_DIR, 'src');
const NODE_MODULES = path.join(CONTRACTS_DIR, 'node_modules');
const DEFAULT_OUT = path.join(REPO_DIR, 'mlmarket', 'contracts', 'artifacts');
const MANIFEST = 'manifest.json';

// Standard-JSON settings used for every file unless overridden below.
const DEFAULT_SETTINGS = {
  evmVersion: 'cancun', // py-evm's newest VM is Prague; OZ 5 needs mcopy (cancun)
  optimizer: { enabled: true, runs: 200 },
  outputSelection: {
    '*': {
      '*': [
        'abi',
        'evm.bytecode.object',
        'evm.bytecode.linkReferences',
        'evm.deployedBytecode.object',
        'evm.deployedBytecode.linkReferences',
      ],
    },
  },
};

// Per-file overrides, keyed by source unit name (path relative to contracts/).
// Each value is deep-merged over DEFAULT_SETTINGS. Files that end up with the
// same effective settings are compiled together; each group is one solc run.
// Example: an evaluation kernel called many times per transaction:
//   'src/EvaluationKernel.sol': { optimizer: { runs: 1000000 } },
// src/Evaluator.sol and src/libraries/EvaluatorChunks.sol (the scoring every evaluator
// shares: internal code, nothing of their own to deploy) need no entry: each evaluator
// imports them, so their code compiles with that evaluator's settings.
const SETTINGS_OVERRIDES = {
  'src/LinearEvaluator.sol': { optimizer: { runs: 1000000 } },
  'src/MlpEvaluator.sol': { optimizer: { runs: 100000 } },
  // The IR pipeline: the tree kernels' straight-line levels reassign one variable, which
  // the legacy code generator does with a SWAP and a POP each. 2,000 runs: the kernels are
  // unrolled by hand, and more runs only inline more of the shared code (same gas per row,
  // about 0.8 KB more).
  'src/TreeEvaluator.sol': { optimizer: { runs: 2000 }, viaIR: true },
  'src/test/LinearEvaluatorUnrolled.sol': { optimizer: { runs: 1000000 } },
  'src/test/NaiveLinearEvaluator.sol': { optimizer: { runs: 1000000 } },
};

function fail(message) {
  process.stderr.write(`build.js: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { out: DEFAULT_OUT };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--out') {
      if (i + 1 >= argv.length) fail('--out needs a directory');
      args.out = path.resolve(argv[(i += 1)]);
    } else if (arg.startsWith('--out=')) {
      args.out = path.resolve(arg.slice('--out='.length));
    } else if (arg === '-h' || arg === '--help') {
      process.stdout.write('usage: node build.js [--out DIR]\n');
      process.exit(0);
    } else {
      fail(`unknown argument ${JSON.stringify(arg)} (usage: node build.js [--out DIR])`);
    }
  }
  return args;
}

function loadSolc() {
  try {
    return require('solc');
  } catch (err) {
    fail(`cannot load solc (${err.message}); run "npm ci" in contracts/ first`);
  }
  return undefined;
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepMerge(base, override) {
  const result = { ...base };
  for (const [key, value] of Object.entries(override)) {
    result[key] = isPlainObject(value) && isPlainObject(base[key]) ? deepMerge(base[key], value) : value;
  }
  return result;
}

// JSON with object keys sorted at every level, 2-space indent, trailing newline.
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isPlainObject(value)) {
    const sorted = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted;
  }
  return value;
}

function canonicalJson(value) {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function compareStrings(a, b) {
  // Byte order of UTF-16 code units; source names here are ASCII.
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

function sha256(text) {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

// sourcesHash: sha256 of the text made of one line per source unit, sorted by
// source unit name:  "<sha256 hex of the file's UTF-8 content>  <source unit name>\n"
// (the format of `sha256sum`). Covers every file the compiler read, including
// OpenZeppelin imports.
function sourcesHash(sources) {
  const names = Object.keys(sources).sort(compareStrings);
  return sha256(names.map((name) => `${sha256(sources[name])}  ${name}\n`).join(''));
}

function listSolidityFiles(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listSolidityFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.sol')) found.push(full);
  }
  return found;
}

function unitName(file) {
  return path.relative(CONTRACTS_DIR, file).split(path.sep).join('/');
}

// Resolve an import that is not part of the compiler input: packages from
// contracts/node_modules (e.g. "@openzeppelin/contracts/...") and our own
// "src/..." files (needed when a file from another settings group is imported).
function makeImportCallback(readSources) {
  return (importPath) => {
    const parts = importPath.split('/');
    if (path.isAbsolute(importPath) || parts.includes('..') || parts.includes('.')) {
      return { error: `refusing to import ${importPath}: not a normalized relative path` };
    }
    let file;
    if (parts[0] === 'src') file = path.join(CONTRACTS_DIR, ...parts);
    else if (parts[0].startsWith('@') || parts.length > 1) file = path.join(NODE_MODULES, ...parts);
    if (!file || !fs.existsSync(file)) {
      return { error: `cannot find ${importPath} (looked in contracts/src and contracts/node_modules)` };
    }
    const contents = fs.readFileSync(file, 'utf8');
    readSources[importPath] = contents;
    return { contents };
  };
}

function formatMessages(messages) {
  return messages.map((m) => (m.formattedMessage || `${m.severity}: ${m.message}`).trimEnd()).join('\n\n');
}

function compileGroup(solc, settings, unitNames, allSources) {
  const sources = {};
  for (const name of unitNames) sources[name] = { content: allSources[name] };
  const input = { language: 'Solidity', sources, settings };
  const readSources = {};
  for (const name of unitNames) readSources[name] = allSources[name];
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: makeImportCallback(readSources) }));
  const messages = output.errors || [];
  const errors = messages.filter((m) => m.severity === 'error');
  const warnings = messages.filter((m) => m.severity !== 'error');
  if (warnings.length > 0) {
    process.stderr.write(`${formatMessages(warnings)}\n\n`);
  }
  if (errors.length > 0) {
    fail(`compilation failed with ${errors.length} error(s):\n\n${formatMessages(errors)}\n`);
  }
  return { output, readSources };
}

function prefixed(hex) {
  return `0x${hex || ''}`;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const solc = loadSolc();
  const version = solc.version();

  if (!fs.existsSync(SRC_DIR)) fail(`no source directory ${SRC_DIR}`);
  const files = listSolidityFiles(SRC_DIR).map(unitName).sort(compareStrings);
  if (files.length === 0) fail(`no .sol files under ${SRC_DIR}`);
  for (const name of Object.keys(SETTINGS_OVERRIDES)) {
    if (!files.includes(name)) fail(`SETTINGS_OVERRIDES names ${name}, which is not a file under src/`);
  }

  const allSources = {};
  for (const name of files) allSources[name] = fs.readFileSync(path.join(CONTRACTS_DIR, name), 'utf8');

  // Group files by their effective settings (canonical JSON as the key).
  const groups = new Map();
  for (const name of files) {
    const settings = sortKeys(deepMerge(DEFAULT_SETTINGS, SETTINGS_OVERRIDES[name] || {}));
    const key = JSON.stringify(settings);
    if (!groups.has(key)) groups.set(key, { settings, files: [] });
    groups.get(key).files.push(name);
  }

  const compiled = [];
  const everySource = {};
  for (const group of groups.values()) {
    const { output, readSources } = compileGroup(solc, group.settings, group.files, allSources);
    Object.assign(everySource, readSources);
    compiled.push({ ...group, output, sourcesHash: sourcesHash(readSources) });
  }
  const buildHash = sourcesHash(everySource);

  const artifacts = new Map();
  for (const group of compiled) {
    for (const sourceName of group.files) {
      const contracts = (group.output.contracts || {})[sourceName] || {};
      for (const contractName of Object.keys(contracts).sort(compareStrings)) {
        const contract = contracts[contractName];
        const evm = contract.evm || {};
        const bytecode = (evm.bytecode || {}).object || '';
        const abi = contract.abi || [];
        if (abi.length === 0 && bytecode === '') continue; // nothing to call or deploy
        if (artifacts.has(contractName)) {
          fail(
            `contract name ${contractName} is declared in both ${artifacts.get(contractName).sourceName} ` +
              `and ${sourceName}; artifact names must be unique`,
          );
        }
        artifacts.set(contractName, {
          contractName,
          sourceName,
          abi,
          bytecode: prefixed(bytecode),
          deployedBytecode: prefixed((evm.deployedBytecode || {}).object),
          // Where the code holds an external library's address: placeholders until linked.
          linkReferences: (evm.bytecode || {}).linkReferences || {},
          deployedLinkReferences: (evm.deployedBytecode || {}).linkReferences || {},
          compiler: { name: 'solc', version },
          settings: group.settings,
          sourcesHash: group.sourcesHash,
        });
      }
    }
  }
  if (artifacts.size === 0) fail('compilation produced no contracts');
  // Every library a contract links must ship as an artifact of its own (deployed first).
  for (const artifact of artifacts.values()) {
    for (const refs of [artifact.linkReferences, artifact.deployedLinkReferences]) {
      for (const [sourceName, libraries] of Object.entries(refs)) {
        for (const library of Object.keys(libraries)) {
          const found = artifacts.get(library);
          if (!found || found.sourceName !== sourceName) {
            fail(`${artifact.contractName} links ${sourceName}:${library}, which has no artifact of its own`);
          }
        }
      }
    }
  }

  fs.mkdirSync(args.out, { recursive: true });
  const written = [];
  for (const name of [...artifacts.keys()].sort(compareStrings)) {
    const fileName = `${name}.json`;
    fs.writeFileSync(path.join(args.out, fileName), canonicalJson(artifacts.get(name)));
    written.push(fileName);
  }
  // Remove artifacts of contracts that no longer exist.
  for (const entry of fs.readdirSync(args.out)) {
    if (entry.endsWith('.json') && entry !== MANIFEST && !written.includes(entry)) {
      fs.unlinkSync(path.join(args.out, entry));
      process.stderr.write(`removed stale artifact ${entry}\n`);
    }
  }
  const sourceHashes = {};
  for (const name of Object.keys(everySource).sort(compareStrings)) sourceHashes[name] = sha256(everySource[name]);
  const manifest = {
    compiler: { name: 'solc', version },
    settings: sortKeys(DEFAULT_SETTINGS),
    settingsOverrides: sortKeys(SETTINGS_OVERRIDES),
    sourcesHash: buildHash,
    sources: sourceHashes,
    artifacts: written,
  };
  fs.writeFileSync(path.join(args.out, MANIFEST), canonicalJson(manifest));

  const shownOut = path.relative(process.cwd(), args.out) || '.';
  process.stdout.write(
    `compiled ${files.length} file(s) (${Object.keys(everySource).length} sources) with solc ${version}; ` +
      `wrote ${written.length} artifact(s) + ${MANIFEST} to ${shownOut}\n`,
  );
}

main();
