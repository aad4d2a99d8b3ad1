// Command lnd-lsps2-client is stock lnd with one hook for receiving LSPS2 JIT
// channel payments (bLIP-52).
//
// An LSPS2 LSP forwards the client's payment with its opening fee deducted:
// the HTLC carries less than the onion's amt_to_forward and marks the
// difference in the update_add_htlc TLV 65537 (extra_fee, bLIP-25). Stock lnd
// rejects such an HTLC at the exit hop, because the link only skips the
// amount check for HTLCs an AuxTrafficShaper calls custom. This program runs
// lnd exactly as cmd/lnd does, with one AuxTrafficShaper whose only effect is
// IsCustomHTLC: true when the HTLC carries TLV 65537. It never handles traffic
// (ShouldHandleTraffic is always false), so path finding, bandwidth and
// outgoing HTLCs stay as in stock lnd.
//
// Skipping the link's check does not pay the invoice: the invoice registry
// still counts the HTLC's real amount, so the payment stays underpaid unless an
// invoicesrpc.HtlcModifier client (the wallet, which knows the fee it agreed
// to) answers amt_paid = amount + extra_fee. Without that client the HTLC
// fails as it would on stock lnd.
package main

import (
	"errors"
	"fmt"
	"os"

	flags "github.com/jessevdk/go-flags"
	"github.com/lightningnetwork/lnd"
	"github.com/lightningnetwork/lnd/fn/v2"
	"github.com/lightningnetwork/lnd/htlcswitch"
	"github.com/lightningnetwork/lnd/lnwallet"
	"github.com/lightningnetwork/lnd/lnwire"
	"github.com/lightningnetwork/lnd/routing/route"
	"github.com/lightningnetwork/lnd/signal"
	"github.com/lightningnetwork/lnd/tlv"
)

// extraFeeType is the update_add_htlc TLV an LSPS2 LSP sets to the opening fee
// (msat, u64) it deducted from the forwarded amount (bLIP-25 extra_fee).
const extraFeeType uint64 = 65537

// lsps2Shaper marks HTLCs that carry extra_fee as custom, which makes the
// exit-hop link accept an amount below the onion's amt_to_forward. Everything
// else is the identity.
type lsps2Shaper struct{}

var _ htlcswitch.AuxTrafficShaper = lsps2Shaper{}

// ShouldHandleTraffic is always false: no channel is a custom channel.
func (lsps2Shaper) ShouldHandleTraffic(lnwire.ShortChannelID,
	fn.Option[tlv.Blob], fn.Option[tlv.Blob]) (bool, error) {

	return false, nil
}

// PaymentBandwidth is never consulted (no channel is handled); it returns the
// link's own bandwidth.
func (lsps2Shaper) PaymentBandwidth(_, _, _ fn.Option[tlv.Blob],
	linkBandwidth, _ lnwire.MilliSatoshi, _ lnwallet.AuxHtlcView,
	_ route.Vertex) (lnwire.MilliSatoshi, error) {

	return linkBandwidth, nil
}

// ProduceHtlcExtraData leaves outgoing HTLCs as they are.
func (lsps2Shaper) ProduceHtlcExtraData(totalAmount lnwire.MilliSatoshi,
	records lnwire.CustomRecords, _ route.Vertex) (lnwire.MilliSatoshi,
	lnwire.CustomRecords, error) {

	return totalAmount, records, nil
}

// IsCustomHTLC is true iff the HTLC carries a well-formed extra_fee record.
func (lsps2Shaper) IsCustomHTLC(records lnwire.CustomRecords) bool {
	fee, ok := records[extraFeeType]
	return ok && len(fee) == 8
}

func main() {
	shutdownInterceptor, err := signal.Intercept()
	if err != nil {
		_, _ = fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	loadedConfig, err := lnd.LoadConfig(shutdownInterceptor)
	if err != nil {
		var flagsErr *flags.Error
		if errors.As(err, &flagsErr) && flagsErr.Type == flags.ErrHelp {
			os.Exit(0)
		}
		_, _ = fmt.Fprintln(os.Stderr, fmt.Errorf("failed to load config: %w", err))
		os.Exit(1)
	}

	implCfg := loadedConfig.ImplementationConfig(shutdownInterceptor)
	implCfg.TrafficShaper = fn.Some[htlcswitch.AuxTrafficShaper](lsps2Shaper{})

	if err = lnd.Main(
		loadedConfig, lnd.ListenerCfg{}, implCfg, shutdownInterceptor,
	); err != nil {
		_, _ = fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
