/**
 * LSPS5's JSON-RPC methods (`lsps5.set_webhook`, `lsps5.list_webhooks`, `lsps5.remove_webhook`),
 * for the LSPS router.
 */
import { ListWebhooksParams, RemoveWebhookParams, SetWebhookParams } from '@blgv/protocol';
import { type LspsMethodTable, lspsMethod } from '../lsps0/lsps-method.ts';
import type { Lsps5Service } from './lsps5-service.ts';

/** LSPS5's methods, served by `lsps5`. */
export function lsps5Methods(lsps5: Lsps5Service): LspsMethodTable {
  return {
    'lsps5.set_webhook': lspsMethod(SetWebhookParams, (caller, p) => lsps5.setWebhook(caller, p)),
    'lsps5.list_webhooks': lspsMethod(ListWebhooksParams, (caller, p) => lsps5.listWebhooks(caller, p)),
    'lsps5.remove_webhook': lspsMethod(RemoveWebhookParams, (caller, p) => lsps5.removeWebhook(caller, p)),
  };
}
