export * from './work-item.store';
