import catalogV1Json from '../../catalog/catalog.v1.json';
import catalogV2Json from '../../catalog/catalog.v2.json';
import catalogV3Json from '../../catalog/catalog.v3.json';
import catalogV4Json from '../../catalog/catalog.v4.json';
import type { Catalog } from './catalog.types';
import { loadCatalog } from './load-catalog';

/**
 * Every catalog file shipped in `libs/decide/nba/catalog/`, one line each. A decision records the version
 * of the catalog it read (`catalogVersion`); `hub nba explain` and `hub nba backtest` load that
 * catalog from here to recompute it. A shipped file is never changed: a new catalog is a new file
 * with a new `catalogVersion`, added to this list (a changed file under an old version would make
 * every decision made with it fail to reproduce).
 */
const SHIPPED_CATALOG_FILES: readonly unknown[] = [catalogV1Json, catalogV2Json, catalogV3Json, catalogV4Json];

let shipped: ReadonlyMap<string, Catalog> | undefined;

function shippedCatalogs(): ReadonlyMap<string, Catalog> {
  if (!shipped) {
    const byVersion = new Map<string, Catalog>();
    for (const file of SHIPPED_CATALOG_FILES) {
      const catalog = loadCatalog(file);
      if (byVersion.has(catalog.catalogVersion)) throw new Error(`two shipped catalog files have the version ${catalog.catalogVersion}`);
      byVersion.set(catalog.catalogVersion, catalog);
    }
    shipped = byVersion;
  }
  return shipped;
}

/** The shipped catalog of that version (validated on first use), or undefined when none has it. */
export const catalogByVersion = (catalogVersion: string): Catalog | undefined => shippedCatalogs().get(catalogVersion);

/** Versions of the shipped catalogs, in the order of the list. */
export const shippedCatalogVersions = (): string[] => [...shippedCatalogs().keys()];
