export * from './names';
export * from './ids';
export * from './channels';
export * from './events';
export * from './headers';
export * from './validation';
export * from './interaction-message';
export * from './errors';
