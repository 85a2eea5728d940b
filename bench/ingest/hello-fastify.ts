/* Reference: the cheapest possible HTTP answer on this machine (bare Fastify, form-body parser). */
import Fastify from 'fastify';
import formbody from '@fastify/formbody';

const app = Fastify({ logger: false });
void app.register(formbody);
app.post('/hello', async (_req, reply) => reply.code(202).send({ status: 'accepted' }));
app.listen({ host: '127.0.0.1', port: 0 }).then((url) => console.log(JSON.stringify({ msg: 'ready', url })));
