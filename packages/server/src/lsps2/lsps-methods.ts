/**
 * LSPS2's JSON-RPC methods (`lsps2.get_info`, `lsps2.buy`), for the LSPS router.
 */
import { Lsps2BuyParams, Lsps2GetInfoParams } from '@blgv/protocol';
import { type LspsMethodTable, lspsMethod } from '../lsps0/lsps-method.ts';
import type { Lsps2Service } from './lsps2-service.ts';

/** LSPS2's methods, served by `lsps2`. */
export function lsps2Methods(lsps2: Lsps2Service): LspsMethodTable {
  return {
    'lsps2.get_info': lspsMethod(Lsps2GetInfoParams, (_, p) => lsps2.info(p.token)),
    'lsps2.buy': lspsMethod(Lsps2BuyParams, (caller, p) => lsps2.buy(caller, p)),
  };
}
