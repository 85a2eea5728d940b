// The timeline's segment queries, for other scopes (the NBA worker): see timeline.segments.ts.
export * from '../timeline.segments';
