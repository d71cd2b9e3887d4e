package words

import (
	"errors"

	"github.com/mailsetup/mailsetup/detect"
)

func asAddressError(err error) (*detect.AddressError, bool) {
	var ae *detect.AddressError
	return ae, errors.As(err, &ae)
}

func asNotVerified(err error) (*detect.NotVerifiedError, bool) {
	var nv *detect.NotVerifiedError
	return nv, errors.As(err, &nv)
}
