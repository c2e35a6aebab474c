/**
 * Starts one throwaway PostgreSQL 15 cluster (pg_cron preloaded) for the database tests,
 * migrates a template database that each test file copies, and migrates the pg_cron
 * database so that cron registration can be checked. Removed when the run ends.
 */
import type { TestProject } from 'vitest/node';
import { migrate } from '../../platform/db/migrate.ts';
import { startThrowawayCluster } from '../../platform/db/pg-cluster.ts';
import { connectPostgres } from '../../shared/db/postgres-client.ts';

export interface ProvidedPostgres {
  port: number;
  adminUrl: string;
  templateDatabase: string;
  cronDatabaseUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: ProvidedPostgres;
  }
}

export const TEMPLATE_DATABASE = 'tradeflow_template';

export default async function setup(project: TestProject) {
  const cluster = await startThrowawayCluster({ log: (line) => console.log(`[postgres] ${line}`) });
  try {
    const admin = connectPostgres(cluster.url(), { max: 1 });
    await admin.query(`create database ${TEMPLATE_DATABASE}`);
    await admin.close();
    for (const database of [TEMPLATE_DATABASE, cluster.cronDatabase]) {
      const db = connectPostgres(cluster.url(database), { max: 1 });
      await migrate(db);
      await db.close();
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  project.provide('postgres', {
    port: cluster.port,
    adminUrl: cluster.url(),
    templateDatabase: TEMPLATE_DATABASE,
    cronDatabaseUrl: cluster.url(cluster.cronDatabase),
  });
  return async () => {
    await cluster.stop();
  };
}
