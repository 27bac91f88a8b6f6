// The configured offsite targets, built from the configuration alone (no
// database), so `backup list --remote` still works when the database is gone.
import type { Config } from '../../config/config.ts';
import { BackupConfigError } from '../keys.ts';
import type { BackupStore } from '../store.ts';
import { DirTargetStore } from './dir.store.ts';
import { S3Store } from './s3.store.ts';

export const DIR_TARGET = 'offsite-dir';
export const S3_TARGET = 's3';

type OffsiteConfig = Pick<
  Config,
  'backupOffsiteDir' | 'backupS3Url' | 'backupS3Bucket' | 'backupS3Prefix' | 'backupS3Region' | 'backupS3AccessKeyId' | 'backupS3SecretAccessKey' | 'backupS3ForcePathStyle'
>;

export function buildTargets(config: OffsiteConfig, opts: { s3PartSize?: number } = {}): BackupStore[] {
  const out: BackupStore[] = [];
  if (config.backupOffsiteDir) out.push(new DirTargetStore(DIR_TARGET, config.backupOffsiteDir));
  if (config.backupS3Bucket) {
    if (!!config.backupS3AccessKeyId !== !!config.backupS3SecretAccessKey) {
      throw new BackupConfigError('set both FINHUB_BACKUP_S3_ACCESS_KEY_ID and FINHUB_BACKUP_S3_SECRET_ACCESS_KEY, or neither (then the AWS SDK looks for credentials itself)');
    }
    out.push(
      new S3Store({
        name: S3_TARGET,
        endpoint: config.backupS3Url,
        bucket: config.backupS3Bucket,
        prefix: config.backupS3Prefix,
        region: config.backupS3Region,
        credentials: config.backupS3AccessKeyId && config.backupS3SecretAccessKey ? { accessKeyId: config.backupS3AccessKeyId, secretAccessKey: config.backupS3SecretAccessKey } : undefined,
        forcePathStyle: config.backupS3ForcePathStyle === 'auto' ? !!config.backupS3Url : config.backupS3ForcePathStyle === 'true',
        ...(opts.s3PartSize ? { partSize: opts.s3PartSize } : {}),
      }),
    );
  }
  return out;
}
