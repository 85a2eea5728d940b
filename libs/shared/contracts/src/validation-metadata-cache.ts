import { getMetadataStorage } from 'class-validator';

type Storage = ReturnType<typeof getMetadataStorage>;
type Metadatas = ReturnType<Storage['getTargetValidationMetadatas']>;
type Target = Parameters<Storage['getTargetValidationMetadatas']>[0];

const INSTALLED = Symbol.for('hub.classValidatorMetadataCache');

/**
 * class-validator looks up a class's checks on every `validate` call, for the class and for each
 * nested object, by walking every class ever decorated in the process (`instanceof` against each,
 * to find inherited checks) and filtering the lot again: at 300 webhooks/s that walk was the largest
 * single function of an ingest app's own code (2.3 % of its CPU) and a share of the recorder's. The
 * answer depends only on the decorations, which are all made when the classes are defined, so it is
 * kept per class and per option set, and forgotten whenever a decoration is added (a class defined
 * later, a schema registered). The storage is class-validator's one global instance; this wraps two
 * of its methods once per process and changes no result (`validation-metadata-cache.spec.ts`).
 */
export function cacheValidationMetadata(storage: Storage = getMetadataStorage()): void {
  const s = storage as Storage & { [INSTALLED]?: true };
  if (s[INSTALLED]) return;
  s[INSTALLED] = true;

  let byTarget = new Map<Target, Map<string, Metadatas>>();
  let grouped = new WeakMap<Metadatas, ReturnType<Storage['groupByPropertyName']>>();
  const forget = () => {
    byTarget = new Map();
    grouped = new WeakMap();
  };

  const find = s.getTargetValidationMetadatas.bind(s);
  s.getTargetValidationMetadatas = (target, targetSchema, always, strictGroups, groups) => {
    const key = `${targetSchema}\u0000${always}\u0000${strictGroups}\u0000${groups ? groups.join('\u0001') : '-'}`;
    let own = byTarget.get(target);
    if (!own) byTarget.set(target, (own = new Map()));
    let found = own.get(key);
    if (!found) own.set(key, (found = find(target, targetSchema, always, strictGroups, groups)));
    return found;
  };

  const group = s.groupByPropertyName.bind(s);
  s.groupByPropertyName = (metadatas) => {
    let g = grouped.get(metadatas);
    if (!g) grouped.set(metadatas, (g = group(metadatas)));
    return g;
  };

  const addValidation = s.addValidationMetadata.bind(s);
  s.addValidationMetadata = (metadata) => {
    forget();
    addValidation(metadata);
  };
  const addConstraint = s.addConstraintMetadata.bind(s);
  s.addConstraintMetadata = (metadata) => {
    forget();
    addConstraint(metadata);
  };
}
