/**
 * LSPS1's JSON-RPC methods (`lsps1.get_info`, `lsps1.create_order`, `lsps1.get_order`), for the
 * LSPS router.
 */
import { CreateOrderParams, GetInfoParams, GetOrderParams } from '@blgv/protocol';
import { type LspsMethodTable, lspsMethod } from '../lsps0/lsps-method.ts';
import type { Lsps1Service } from './lsps1-service.ts';

/** LSPS1's methods, served by `lsps1`. */
export function lsps1Methods(lsps1: Lsps1Service): LspsMethodTable {
  return {
    'lsps1.get_info': lspsMethod(GetInfoParams, () => lsps1.info()),
    'lsps1.create_order': lspsMethod(CreateOrderParams, (caller, p) => lsps1.createOrder(caller, p)),
    'lsps1.get_order': lspsMethod(GetOrderParams, (caller, p) => lsps1.getOrder(caller, p.order_id)),
  };
}
