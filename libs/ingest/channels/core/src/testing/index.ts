export * from './conformance-kit';
