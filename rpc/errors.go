package rpc

import (
	"errors"
	"fmt"

	"chainlab/chain"
)

// JSON-RPC 2.0 standard error codes.
const (
	CodeParseError     = -32700 // invalid JSON
	CodeInvalidRequest = -32600 // not a request object, or a batch/body limit exceeded
	CodeMethodNotFound = -32601 // unknown method, or a capability this node does not have
	CodeInvalidParams  = -32602 // wrong number of parameters, unknown named parameter
	CodeInternal       = -32603 // unexpected failure (storage, panic); never a rule violation
)

// Bitcoin Core application error codes (src/rpc/protocol.h), used with the same meaning.
const (
	CodeMisc              = -1  // RPC_MISC_ERROR
	CodeType              = -3  // RPC_TYPE_ERROR: a parameter has the wrong JSON type
	CodeInvalidAddrOrKey  = -5  // RPC_INVALID_ADDRESS_OR_KEY: bad address, unknown block/tx
	CodeOutOfMemory       = -7  // RPC_OUT_OF_MEMORY
	CodeInvalidParameter  = -8  // RPC_INVALID_PARAMETER: value out of range, bad hash
	CodeDatabase          = -20 // RPC_DATABASE_ERROR
	CodeDeserialization   = -22 // RPC_DESERIALIZATION_ERROR: tx/block hex does not decode
	CodeVerify            = -25 // RPC_VERIFY_ERROR: missing or spent inputs, generic verify failure
	CodeVerifyRejected    = -26 // RPC_VERIFY_REJECTED: rejected by a consensus or policy rule
	CodeVerifyAlreadyIn   = -27 // RPC_VERIFY_ALREADY_IN_CHAIN
	CodeInWarmup          = -28 // RPC_IN_WARMUP
	CodeClientNotConnect  = -9  // RPC_CLIENT_NOT_CONNECTED
	CodeNodeAlreadyAdded  = -23 // RPC_CLIENT_NODE_ALREADY_ADDED
	CodeNodeNotAdded      = -24 // RPC_CLIENT_NODE_NOT_ADDED
	CodeNodeNotConnected  = -29 // RPC_CLIENT_NODE_NOT_CONNECTED
	CodeInvalidIPOrSubnet = -30 // RPC_CLIENT_INVALID_IP_OR_SUBNET
)

// Error is a JSON-RPC error object. Handlers return it (or any error; see toRPCError) and
// the client returns it for error responses, so errors.As(err, &*rpc.Error) works on both
// sides.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("rpc error %d: %s", e.Code, e.Message) }

// Errorf builds an *Error.
func Errorf(code int, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// Common errors.
var (
	errParse          = &Error{Code: CodeParseError, Message: "Parse error"}
	errInvalidRequest = &Error{Code: CodeInvalidRequest, Message: "Invalid Request object"}
)

// Sentinel errors a backend (node) may return, wrapped, to select a Bitcoin code.
var (
	// ErrUnavailable: the node lacks the capability (no miner on a PoS node, no staking on PoW).
	ErrUnavailable = errors.New("not available on this node")
	// ErrNotFound: the named block, transaction, peer or validator does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalidParameter: a parameter value is out of range or malformed.
	ErrInvalidParameter = errors.New("invalid parameter")
	// ErrNodeAlreadyAdded and ErrNodeNotAdded: addnode add/remove bookkeeping.
	ErrNodeAlreadyAdded = errors.New("node already added")
	ErrNodeNotAdded     = errors.New("node has not been added")
	// ErrNodeNotConnected: disconnectnode of a peer that is not connected.
	ErrNodeNotConnected = errors.New("node not found in connected nodes")
)

// RuleErrorCode is the one mapping from a chain rule kind to a JSON-RPC code, as Bitcoin
// Core maps TransactionError: missing/spent inputs are RPC_VERIFY_ERROR (-25), undecodable
// data is RPC_DESERIALIZATION_ERROR (-22), a block or tx already known is
// RPC_VERIFY_ALREADY_IN_CHAIN (-27), and every other consensus or policy rule is
// RPC_VERIFY_REJECTED (-26).
func RuleErrorCode(kind chain.ErrorKind) int {
	switch kind {
	case chain.ErrMissingInput, chain.ErrDoubleSpend, chain.ErrImmatureSpend:
		return CodeVerify
	case chain.ErrMalformed:
		return CodeDeserialization
	case chain.ErrDuplicateBlock:
		return CodeVerifyAlreadyIn
	}
	return CodeVerifyRejected
}

// toRPCError turns any handler error into an *Error. Rule errors keep their kind in the
// message ("ErrBadSignature: input 0 ..."); sentinel errors pick their Bitcoin code; any
// other error is internal (-32603): storage failures are never reported as rule violations.
func toRPCError(err error) *Error {
	var re *Error
	if errors.As(err, &re) {
		return re
	}
	var rule *chain.RuleError
	if errors.As(err, &rule) {
		return &Error{Code: RuleErrorCode(rule.Kind), Message: err.Error()}
	}
	var kind chain.ErrorKind
	if errors.As(err, &kind) {
		return &Error{Code: RuleErrorCode(kind), Message: err.Error()}
	}
	switch {
	case errors.Is(err, ErrUnavailable):
		return &Error{Code: CodeMethodNotFound, Message: err.Error()}
	case errors.Is(err, ErrNotFound):
		return &Error{Code: CodeInvalidAddrOrKey, Message: err.Error()}
	case errors.Is(err, ErrInvalidParameter):
		return &Error{Code: CodeInvalidParameter, Message: err.Error()}
	case errors.Is(err, ErrNodeAlreadyAdded):
		return &Error{Code: CodeNodeAlreadyAdded, Message: err.Error()}
	case errors.Is(err, ErrNodeNotAdded):
		return &Error{Code: CodeNodeNotAdded, Message: err.Error()}
	case errors.Is(err, ErrNodeNotConnected):
		return &Error{Code: CodeNodeNotConnected, Message: err.Error()}
	}
	return &Error{Code: CodeInternal, Message: "internal error: " + err.Error()}
}
