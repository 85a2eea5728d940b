import { customerHref, routeOf } from './routes';

describe('the console routes', () => {
  it('given the operations hash, then the operations page', () => {
    expect(routeOf('#/operations')).toEqual({ page: 'operations' });
  });

  it('given the work items hash, then the work items page', () => {
    expect(routeOf('#/work-items')).toEqual({ page: 'work-items' });
  });

  it('given a customer hash, then that customer and tab; anything else is the search', () => {
    expect(routeOf(customerHref('c 1', 'merges'))).toEqual({ page: 'customer', customerId: 'c 1', tab: 'merges' });
    expect(routeOf('#/operations/x')).toEqual({ page: 'search' });
    expect(routeOf('')).toEqual({ page: 'search' });
  });
});
