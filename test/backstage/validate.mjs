#!/usr/bin/env node
// validate.mjs checks catalog files with Backstage's own validators, the ones a
// Backstage catalog runs on every entity it reads from a location:
//
//   1. YAML parsing as @backstage/plugin-catalog-node's parseEntityYaml does it
//      (yaml's parseAllDocuments, empty documents skipped, the root an object);
//   2. the envelope check (entityEnvelopeSchemaValidator);
//   3. the entity policies, in the order CatalogBuilder combines them:
//      SchemaValidEntityPolicy, DefaultNamespaceEntityPolicy,
//      NoForeignRootFieldsEntityPolicy, FieldFormatEntityPolicy(makeValidator());
//   4. for a built-in kind, the kind validators of BuiltinKindsEntityProcessor
//      (validateEntityKind): one of them must accept the entity, or Backstage says "No
//      processor recognized the entity as valid". Other kinds get the policies only;
//   5. for a built-in kind, the entity references its relations are read from, parsed
//      with parseEntityRef as BuiltinKindsEntityProcessor.postProcessEntity does.
//
// relations: Backstage writes `relations` on the entities it serves, but only after
// processing: NoForeignRootFieldsEntityPolicy allows only apiVersion, kind, metadata
// and spec, so an entity read from a location with `relations` in it is rejected
// ("Unknown field relations"). pane's catalog files carry relations as Backstage's
// processed entities do, so by default they are checked the way those are shaped:
// the whole entity, relations included, must fit the Entity JSON schema (which allows
// relations, each {type, targetRef}); steps 3-5 then run on the entity without
// relations, as Backstage runs them before it adds its own. With --as-location every
// step runs on the file exactly as written, which is what registering the files as a
// Backstage location would do.
//
// Usage: node validate.mjs [--as-location] [--quiet] PATH...
// PATH is a directory (walked for *.yaml) or a file. One line per failing file,
// then "N passed, M failed". Exit 0 when all pass, 1 when any fails, 2 on usage errors.

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { parseAllDocuments } from 'yaml';
import {
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  entityEnvelopeSchemaValidator,
  entitySchemaValidator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  makeValidator,
  parseEntityRef,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} from '@backstage/catalog-model';

// CatalogBuilder.buildEntityPolicy, without custom policies.
const policy = EntityPolicies.allOf([
  new SchemaValidEntityPolicy(),
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(makeValidator()),
]);

// BuiltinKindsEntityProcessor.validators.
const kindValidators = [
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
];
const builtinKinds = new Set(['api', 'component', 'resource', 'group', 'location', 'user', 'system', 'domain']);

// BuiltinKindsEntityProcessor.postProcessEntity (@backstage/plugin-catalog-backend
// 4.0.5): the spec fields it reads references from, and the kind it assumes when a
// reference names none (undefined: the reference must name its kind).
const refFields = {
  Component: { owner: 'Group', subcomponentOf: 'Component', providesApis: 'API', consumesApis: 'API', dependsOn: undefined, dependencyOf: undefined, system: 'System' },
  API: { owner: 'Group', system: 'System' },
  Resource: { owner: 'Group', dependsOn: undefined, dependencyOf: undefined, system: 'System' },
  User: { memberOf: 'Group' },
  Group: { parent: 'Group', children: 'Group', members: 'User' },
  System: { owner: 'Group', domain: 'Domain' },
  Domain: { owner: 'Group', subdomainOf: 'Domain' },
};

const validateEnvelope = entityEnvelopeSchemaValidator();
const validateProcessedShape = entitySchemaValidator();

function message(e) {
  let m = e instanceof Error ? e.message : String(e);
  // FieldFormatEntityPolicy appends a link to the format docs to every message.
  m = m.replace(/ To learn more about catalog file format, visit: \S+$/, '');
  if (e?.cause) m += `: ${message(e.cause)}`;
  return m;
}

async function checkEntity(doc, asLocation) {
  validateEnvelope(doc);
  let entity = doc;
  if (!asLocation && Object.hasOwn(doc, 'relations')) {
    validateProcessedShape(doc);
    const { relations: _relations, ...rest } = doc;
    entity = rest;
  }
  // Policies may modify what they are given (DefaultNamespaceEntityPolicy).
  entity = await policy.enforce(structuredClone(entity));
  if (!builtinKinds.has(String(entity.kind).toLowerCase())) {
    return;
  }
  let recognized = false;
  for (const v of kindValidators) {
    if (await v.check(entity)) {
      recognized = true;
    }
  }
  if (!recognized) {
    throw new Error(
      `No processor recognized the entity ${entity.kind}:${entity.metadata.namespace}/${entity.metadata.name} as valid, possibly caused by a foreign kind or apiVersion`,
    );
  }
  const fields = refFields[entity.kind] ?? {};
  for (const [field, defaultKind] of Object.entries(fields)) {
    const targets = entity.spec?.[field];
    if (!targets) continue;
    for (const target of [targets].flat()) {
      try {
        parseEntityRef(target, { defaultKind, defaultNamespace: entity.metadata.namespace });
      } catch (e) {
        throw new Error(`spec.${field}: ${message(e)}`);
      }
    }
  }
}

// checkFile returns the problems of one file, one per failing document.
async function checkFile(file, asLocation) {
  const text = await readFile(file, 'utf8');
  let docs;
  try {
    docs = parseAllDocuments(text, { merge: false }).filter(d => d);
  } catch (e) {
    return [`failed to parse YAML: ${message(e)}`];
  }
  if (!Array.isArray(docs)) docs = [docs]; // a lone EmptyStream
  const problems = [];
  const multi = docs.length > 1;
  for (const [i, d] of docs.entries()) {
    const where = multi ? `document ${i + 1}: ` : '';
    if (d.errors?.length) {
      problems.push(`${where}YAML error: ${d.errors[0].message}`);
      continue;
    }
    const json = d.toJSON();
    if (json === null || json === undefined) continue;
    if (typeof json !== 'object' || Array.isArray(json)) {
      problems.push(`${where}expected an object at the root, got ${Array.isArray(json) ? 'array' : typeof json}`);
      continue;
    }
    try {
      await checkEntity(json, asLocation);
    } catch (e) {
      problems.push(where + message(e));
    }
  }
  return problems;
}

// printable keeps a report line one line, whatever control characters a value holds.
function printable(s) {
  return s.replace(/[\u0000-\u001f\u007f]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

async function* walk(p) {
  const st = await stat(p);
  if (!st.isDirectory()) {
    yield p;
    return;
  }
  const entries = (await readdir(p, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const child = path.join(p, e.name);
    if (e.isDirectory()) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      yield* walk(child);
    } else if (e.isFile() && e.name.endsWith('.yaml')) {
      yield child;
    }
  }
}

async function main(argv) {
  let asLocation = false;
  let quiet = false;
  const paths = [];
  for (const a of argv) {
    if (a === '--as-location') asLocation = true;
    else if (a === '--quiet') quiet = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node validate.mjs [--as-location] [--quiet] PATH...\n');
      return 0;
    } else if (a.startsWith('-')) {
      process.stderr.write(`validate.mjs: unknown flag ${a}\n`);
      return 2;
    } else paths.push(a);
  }
  if (paths.length === 0) {
    process.stderr.write('usage: node validate.mjs [--as-location] [--quiet] PATH...\n');
    return 2;
  }
  let passed = 0;
  let failed = 0;
  for (const p of paths) {
    try {
      await stat(p);
    } catch (e) {
      process.stderr.write(`validate.mjs: ${message(e)}\n`);
      return 2;
    }
    for await (const file of walk(p)) {
      const problems = await checkFile(file, asLocation);
      if (problems.length === 0) {
        passed++;
      } else {
        failed++;
        process.stdout.write(`FAIL ${file}: ${printable(problems.join('; '))}\n`);
      }
    }
  }
  if (!quiet || failed > 0) {
    process.stdout.write(`${passed} passed, ${failed} failed\n`);
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
