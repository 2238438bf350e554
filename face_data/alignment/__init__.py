"""Raw photo -> aligned face: `photos.align_photo` (EXIF orientation, `detection` with MTCNN, then
`template`: the similarity transform onto the ArcFace five-point template). Import the modules
directly; this package imports nothing.
"""
